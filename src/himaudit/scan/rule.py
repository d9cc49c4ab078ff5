"""One audit rule's metadata, and the validation every rule header must pass.

SQL rules carry their metadata as a YAML header between ``/*---`` and ``---*/``; Python rules
as a ``META`` dict; Great Expectations rules as ``meta`` on each expectation. All three end
up as a :class:`Rule`, validated here so a malformed rule is refused at discovery time with
one line that names the file and shows the expected form — never half-run in a scan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.errors import HimauditError

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
KAHN_CATEGORIES = ("conformance", "completeness", "plausibility")
KAHN_CONTEXTS = ("verification", "validation")
REQUIRED_KEYS = (
    "id",
    "title",
    "family",
    "severity",
    "kahn",
    "tables",
    "record_table",
    "record_key",
    "citation",
    "description",
)
OPTIONAL_KEYS = ("thresholds", "applies_when")
RULE_ID_RE = re.compile(r"^([A-Z]{2,5})-(\d{3})$")
#: Non-canonical tables a rule may read (load-conformance records, reference data).
EXTRA_TABLE_RE = re.compile(r"^(audit\.load_issues|audit\.loaded_tables|ref\.\w+)$")
#: record_table "*" means the rule's SQL returns a table_name column (DQ-001, the GX rules).
ANY_TABLE = "*"

HEADER_FORM = (
    "expected a header like /*--- id: DOC-001, title, family, severity, kahn: {category, "
    "context}, tables, record_table, record_key, citation, description ---*/"
)


class RuleDefinitionError(HimauditError):
    """A rule file or META dict is malformed (exit 2): the scan refuses to start."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    family: str
    severity: str
    kahn: dict[str, str]
    tables: tuple[str, ...]
    record_table: str
    record_key: str
    citation: str
    description: str
    thresholds: dict[str, Any] = field(default_factory=dict)
    applies_when: str = "all"  # all: every listed table supplied; any: at least one
    kind: str = "sql"  # sql | python | gx
    source: str = ""  # file path or module name, for messages
    sql: str | None = None
    summary_sql: str | None = None
    run: Callable[..., Any] | None = None
    summary: Callable[..., Any] | None = None
    expectation: dict[str, Any] | None = None  # for kind == "gx"

    @property
    def canonical_tables(self) -> tuple[str, ...]:
        """Tables that decide applicability (reference/audit tables do not)."""
        return tuple(t for t in self.tables if "." not in t)

    def missing_tables(self, supplied: Mapping[str, int]) -> list[str]:
        """Why the rule is not applicable (empty list = applicable). ``applies_when: any``
        suits rules that scan several tables independently (duplicate keys, future dates)."""
        missing = [t for t in self.canonical_tables if t not in supplied]
        if self.applies_when == "any" and len(missing) < len(self.canonical_tables):
            return []
        return missing

    def catalogue_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "severity": self.severity,
            "title": self.title,
            "kahn": f"{self.kahn['category']}/{self.kahn['context']}",
            "tables": list(self.tables),
            "record_table": self.record_table,
            "record_key": self.record_key,
            "citation": self.citation,
            "thresholds": dict(self.thresholds),
            "description": self.description,
            "kind": self.kind,
        }


def _fail(source: str, problem: str) -> RuleDefinitionError:
    return RuleDefinitionError(f"{source}: {problem}")


def validate_meta(
    meta: Mapping[str, Any],
    source: str,
    *,
    known_tables: set[str],
    expected_id: str | None = None,
    expected_family: str | None = None,
) -> dict[str, Any]:
    """Check one rule's metadata; return it normalised (tuples, upper family, defaults)."""
    if not isinstance(meta, Mapping):
        raise _fail(source, f"metadata is not a mapping; {HEADER_FORM}")
    missing = [k for k in REQUIRED_KEYS if meta.get(k) in (None, "")]
    if missing:
        raise _fail(source, f"missing key(s) {', '.join(missing)}; {HEADER_FORM}")
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise _fail(source, f"unknown key(s) {', '.join(unknown)}; allowed: {REQUIRED_KEYS}")
    rule_id = str(meta["id"])
    m = RULE_ID_RE.match(rule_id)
    if not m:
        raise _fail(source, f"id {rule_id!r} is not of the form FAMILY-NNN (e.g. DOC-001)")
    family = str(meta["family"])
    if family != m.group(1):
        raise _fail(source, f"family {family!r} does not match the id prefix {m.group(1)!r}")
    if expected_id is not None and rule_id != expected_id:
        raise _fail(source, f"file is named {expected_id} but declares id {rule_id}")
    if expected_family is not None and family.lower() != expected_family.lower():
        raise _fail(
            source, f"family {family} lives in checks/{family.lower()}/, not {expected_family}/"
        )
    if meta["severity"] not in SEVERITIES:
        raise _fail(source, f"severity {meta['severity']!r} not one of {', '.join(SEVERITIES)}")
    kahn = meta["kahn"]
    if (
        not isinstance(kahn, Mapping)
        or kahn.get("category") not in KAHN_CATEGORIES
        or kahn.get("context") not in KAHN_CONTEXTS
    ):
        raise _fail(
            source,
            f"kahn must be {{category: {'|'.join(KAHN_CATEGORIES)}, "
            f"context: {'|'.join(KAHN_CONTEXTS)}}}, got {kahn!r}",
        )
    tables = meta["tables"]
    if isinstance(tables, str) or not isinstance(tables, list | tuple):
        raise _fail(source, f"tables must be a list such as [notes, users], got {tables!r}")
    for t in tables:
        if t not in known_tables and not EXTRA_TABLE_RE.match(str(t)):
            raise _fail(source, f"table {t!r} is not in the contract (warehouse/schema.sql)")
    record_table = str(meta["record_table"])
    if record_table != ANY_TABLE and record_table not in known_tables:
        raise _fail(source, f"record_table {record_table!r} is not a contract table (or '*')")
    thresholds = meta.get("thresholds") or {}
    if not isinstance(thresholds, Mapping):
        raise _fail(source, f"thresholds must be a mapping name: default, got {thresholds!r}")
    for name in thresholds:
        if not re.match(r"^[a-z_][a-z0-9_]*$", str(name)) or name == "as_of":
            raise _fail(source, f"threshold name {name!r} must be snake_case and not as_of")
    applies_when = str(meta.get("applies_when", "all"))
    if applies_when not in ("all", "any"):
        raise _fail(source, f"applies_when must be all or any, got {applies_when!r}")
    return {
        "id": rule_id,
        "title": str(meta["title"]).strip(),
        "family": family,
        "severity": str(meta["severity"]),
        "kahn": {"category": kahn["category"], "context": kahn["context"]},
        "tables": tuple(str(t) for t in tables),
        "record_table": record_table,
        "record_key": str(meta["record_key"]),
        "citation": str(meta["citation"]).strip(),
        "description": " ".join(str(meta["description"]).split()),
        "thresholds": dict(thresholds),
        "applies_when": applies_when,
    }


def display_path(path: Path) -> str:
    """Path relative to the cwd when possible: shorter, clearer error messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
