"""Discover every rule: SQL files, Python rule modules and Great Expectations suites.

SQL rules live in ``warehouse/checks/<family>/<RULE-ID>.sql`` (plus any ``--rules-dir``);
a sibling ``<RULE-ID>.summary.sql`` publishes run-summary figures. Python rules come from
``himaudit.rules.<family>.<module>``; GX rules from ``expectations/<table>.json``. Discovery
validates everything up front so a broken header stops the scan before any rule runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from himaudit.contract import load_contract
from himaudit.errors import UsageError
from himaudit.paths import warehouse_dir
from himaudit.scan.derived import DerivedView, creation_order, derived_views, referenced_views
from himaudit.scan.rule import (
    HEADER_FORM,
    RULE_ID_RE,
    Rule,
    RuleDefinitionError,
    display_path,
    validate_meta,
)

_HEADER_RE = re.compile(r"\A\s*/\*---\s*\n(.*?)\n\s*---\*/\s*(.*)\Z", re.S)


def _known_tables() -> set[str]:
    return {t for t in load_contract() if t != "answer_key"}


def parse_sql_rule(path: Path, *, family_dir: str | None = None) -> Rule:
    """Read one ``<RULE-ID>.sql`` file and validate its header against its name and folder."""
    source = display_path(path)
    text = path.read_text(encoding="utf-8")
    m = _HEADER_RE.match(text)
    if not m:
        raise RuleDefinitionError(f"{source}: no metadata header; {HEADER_FORM}")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (header line {line + 2})" if line is not None else ""
        raise RuleDefinitionError(f"{source}: header is not valid YAML{where}") from None
    body = m.group(2).strip().rstrip(";").strip()
    if not body:
        raise RuleDefinitionError(f"{source}: header has no SQL query after ---*/")
    fields = validate_meta(
        meta,
        source,
        known_tables=_known_tables(),
        expected_id=path.stem,
        expected_family=family_dir,
    )
    summary_path = path.with_name(f"{path.stem}.summary.sql")
    summary_sql = None
    if summary_path.is_file():
        summary_sql = summary_path.read_text(encoding="utf-8").strip().rstrip(";").strip()
    return Rule(**fields, kind="sql", source=source, sql=body, summary_sql=summary_sql)


def _sql_rule_files(root: Path) -> Iterable[tuple[Path, str | None]]:
    """Yield (file, family folder) for ``root/<family>/<ID>.sql`` and ``root/<ID>.sql``."""
    if not root.is_dir():
        raise UsageError(f"rules directory {root} does not exist")
    for path in sorted(root.rglob("*.sql")):
        if path.name.endswith(".summary.sql"):
            continue
        family = path.parent.name if path.parent != root else None
        yield path, family


def _sql_rules(dirs: Sequence[Path]) -> list[Rule]:
    rules = []
    for root in dirs:
        for path, family in _sql_rule_files(root):
            if not RULE_ID_RE.match(path.stem):
                raise RuleDefinitionError(
                    f"{display_path(path)}: a rule file is named <RULE-ID>.sql, e.g. DOC-001.sql"
                )
            rules.append(parse_sql_rule(path, family_dir=family))
    return rules


def _python_rules() -> list[Rule]:
    from himaudit.rules import iter_rule_modules

    rules = []
    for module in iter_rule_modules():
        family_pkg = module.__name__.split(".")[-2]
        fields = validate_meta(
            module.META,
            module.__name__,
            known_tables=_known_tables(),
            expected_family=family_pkg,
        )
        rules.append(
            Rule(
                **fields,
                kind="python",
                source=module.__name__,
                run=module.run,
                summary=getattr(module, "summary", None),
            )
        )
    return rules


def _gx_rules(expectation_dirs: Sequence[Path]) -> list[Rule]:
    from himaudit.scan.gx_suites import load_gx_rules

    return load_gx_rules(expectation_dirs, known_tables=_known_tables())


def list_rules(
    rules_dirs: Sequence[Path | str] = (),
    *,
    builtin: bool = True,
    python: bool = True,
    gx: bool = True,
    expectation_dirs: Sequence[Path | str] = (),
) -> list[Rule]:
    """Every registered rule, sorted by id. Raises RuleDefinitionError on a bad rule or a
    duplicated id (two sources claiming one id would make scoring ambiguous)."""
    dirs = [warehouse_dir() / "checks"] if builtin else []
    dirs += [Path(d) for d in rules_dirs]
    rules = _sql_rules(dirs)
    if python:
        rules += _python_rules()
    if gx:
        from himaudit.paths import expectations_dir

        rules += _gx_rules([expectations_dir(), *[Path(d) for d in expectation_dirs]])
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleDefinitionError(
                f"{rule.source}: rule id {rule.id} is already defined by {seen[rule.id].source}"
            )
        seen[rule.id] = rule
    return sorted(rules, key=lambda r: r.id)


def select_rules(rules: Sequence[Rule], selectors: Sequence[str] | None) -> list[Rule]:
    """Keep the rules named by id (``DOC-001``) or family (``DOC``, ``doc``)."""
    if not selectors:
        return list(rules)
    wanted = {s.strip().upper() for s in selectors if s.strip()}
    by_id = {r.id for r in rules}
    families = {r.family for r in rules}
    unknown = sorted(w for w in wanted if w not in by_id and w not in families)
    if unknown:
        raise UsageError(
            f"unknown rule or family {', '.join(unknown)}; see `himaudit rules` for the catalogue"
        )
    return [r for r in rules if r.id in wanted or r.family in wanted]


def ruleset_version(rules: Sequence[Rule]) -> str:
    """A short hash of every selected rule's definition: changes when any rule changes."""
    h = hashlib.sha256()
    for r in sorted(rules, key=lambda r: r.id):
        h.update(repr(sorted(r.catalogue_row().items())).encode())
        h.update((r.sql or "").encode())
        h.update((r.summary_sql or "").encode())
        for view in reads_views(r):  # a changed derived view changes the rules that read it
            h.update(view.sql.encode())
        h.update(repr(r.expectation).encode())
    return h.hexdigest()[:16]


def reads_views(rule: Rule) -> list[DerivedView]:
    """The derived views (warehouse/derived) a SQL rule or its summary reads, with theirs."""
    names = referenced_views(f"{rule.sql or ''}\n{rule.summary_sql or ''}")
    return creation_order(derived_views(), names) if names else []
