"""PHI masking for everything a person reads: the HTML report, work queues, the terminal.

Findings are meant to carry MRNs and ids only, but work-queue views and the duplicate-pair
comparison read the ``patients`` / ``users`` tables directly, and a rule's evidence JSON may
echo an input value. So masking happens here, at the last step before output, in three ways:

* by column / JSON key name (``first_name``, ``ssn``, ``phone``, ``address``, …);
* by pattern in free text (SSN- and phone-shaped numbers);
* by value: capitalised words that are first/last names present in the warehouse.

``--show-phi`` turns all of it off; the caller records that it did (see ``html.py``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MASK = "•••"

# Tokens of a column/key name that mark it as direct identifiers. Matching on tokens (split
# at "_") keeps ``table_name`` / ``rule_name`` readable while ``patient_last_name``,
# ``ssn_a`` or ``home_phone`` are masked.
_ID_TOKENS = {"ssn", "phone", "address", "street", "addr", "email", "fax", "city", "zip"}
_SAFE_NAME_PREFIXES = {"table", "rule", "file", "view", "column", "note", "queue", "field"}

_SSN_RE = re.compile(r"(?<![\w-])(\d{3})-?(\d{2})-?(\d{4})(?![\w-])")
_PHONE_RE = re.compile(r"(?<![\w-])\(?(\d{3})\)?[-. ]?(\d{3})[-. ](\d{4})(?![\w-])")
_WORD_RE = re.compile(r"\b[A-Z][a-z'’-]+\b")
_LEVEL_RE = re.compile(r"^[a-z]+(?:_[a-z0-9]+)*$")
_JSON_KEY_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
# Columns that hold codes and keys, never free text: skipping the text scrub there keeps a
# 1M-row work queue fast (the scrub is for messages, evidence and view text columns).
_ID_COLUMNS = {"rule_id", "severity", "family", "table_name", "mrn", "record_key", "status"}
_TEXT_MEMO_MAX = 200_000


def is_identifier_column(column: str) -> bool:
    low = column.lower()
    return low in _ID_COLUMNS or low.endswith(("_id", "_key", "_at", "_date"))


@functools.lru_cache(maxsize=4096)
def phi_kind(column: str) -> str | None:
    """Return what kind of identifier a column/key name holds (None = not PHI)."""
    tokens = [t for t in re.split(r"[_\W]+", column.lower()) if t]
    if not tokens:
        return None
    if "ssn" in tokens:
        return "ssn"
    if "phone" in tokens or "fax" in tokens:
        return "phone"
    if "zip" in tokens:
        return "zip"
    if set(tokens) & _ID_TOKENS:
        return "address"
    for i, tok in enumerate(tokens):
        if tok in ("surname", "firstname", "lastname", "fullname"):
            return "name"
        # "name" alone or after a person word is a name; after a thing word
        # (table_name, rule_name) it is not. Unknown prefixes mask: safer to over-mask.
        if tok == "name" and (i == 0 or tokens[i - 1] not in _SAFE_NAME_PREFIXES):
            return "name"
    return None


def mask_value(kind: str, value: Any) -> Any:
    """Mask one value of a known identifier kind. Keeps just enough to tell records apart
    in a merge review (initial, last four digits, 3-digit zip) and never the whole value."""
    if value is None or value == "":
        return value
    text = str(value)
    if kind == "name":
        return text[0].upper() + MASK
    if kind == "ssn":
        digits = re.sub(r"\D", "", text)
        return "•••-••-" + digits[-4:] if len(digits) >= 4 else MASK
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return "•••-•••-" + digits[-4:] if len(digits) >= 4 else MASK
    if kind == "zip":
        return text[:3] + "••"
    return MASK


@dataclass
class Masker:
    """Masks rows, JSON evidence and free text; a no-op when ``show_phi`` is True."""

    show_phi: bool = False
    names: frozenset[str] = field(default_factory=frozenset)
    _memo: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def active(self) -> bool:
        return not self.show_phi

    def text(self, value: Any) -> Any:
        """Scrub SSN/phone-shaped numbers and known person names from free text."""
        if not self.active or not isinstance(value, str) or not value:
            return value
        hit = self._memo.get(value)
        if hit is not None:
            return hit
        out = _SSN_RE.sub(lambda m: "•••-••-" + m.group(3), value)
        out = _PHONE_RE.sub(lambda m: "•••-•••-" + m.group(3), out)
        if self.names:
            out = _WORD_RE.sub(
                lambda m: m.group(0)[0] + MASK if m.group(0).lower() in self.names else m.group(0),
                out,
            )
        if len(self._memo) < _TEXT_MEMO_MAX:
            self._memo[value] = out
        return out

    def field(self, column: str, value: Any) -> Any:
        if not self.active:
            return value
        kind = phi_kind(column)
        if kind is not None:
            return mask_value(kind, value)
        return self.text(value) if isinstance(value, str) else value

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.field(k, v) for k, v in row.items()}

    def plan(self, columns: Sequence[str]) -> list[Callable[[Any], Any]]:
        """One masking function per column, decided once per query (fast path for large
        work queues): PHI columns masked, ``evidence`` walked, identifiers passed through,
        other text scrubbed."""

        def keep(v: Any) -> Any:
            return v

        if not self.active:
            return [keep for _ in columns]
        plan: list[Callable[[Any], Any]] = []
        for col in columns:
            kind = phi_kind(col)
            if kind is not None:
                plan.append(functools.partial(mask_value, kind))
            elif col.lower() == "evidence":
                plan.append(self.evidence)
            elif is_identifier_column(col):
                plan.append(keep)
            else:
                plan.append(self.text)
        return plan

    def evidence(self, raw: Any) -> Any:
        """Mask a JSON evidence document (string or parsed) key by key, recursively."""
        if not self.active or raw is None:
            return raw
        if isinstance(raw, str):
            if not any(phi_kind(k) for k in _JSON_KEY_RE.findall(raw)):
                return self.text(raw)  # no PHI-named key: scrubbing the JSON text suffices
            try:
                parsed = json.loads(raw)
            except ValueError:
                return self.text(raw)
            return json.dumps(self._walk(parsed, ""), ensure_ascii=False, default=str)
        return self._walk(raw, "")

    def _walk(self, node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: self._walk(v, str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self._walk(v, key) for v in node]
        kind = phi_kind(key) if key else None
        if kind is not None and isinstance(node, (str, int)) and not isinstance(node, bool):
            if self.is_level_label(node):
                return node  # {"first_name": "typo"}: how a field compared, not the field
            return mask_value(kind, node)
        return self.text(node) if isinstance(node, str) else node

    def is_level_label(self, value: Any) -> bool:
        """A comparison level such as ``exact``, ``typo``, ``exact_same_home``: lower-case
        snake words that are not a known person name (a lower-cased "john" stays masked)."""
        return (
            isinstance(value, str)
            and _LEVEL_RE.match(value) is not None
            and value not in self.names
            and not any(part in self.names for part in value.split("_"))
        )


def person_names(con: Any, min_length: int = 3) -> frozenset[str]:
    """Distinct first/middle/last names of patients and workforce, lower-cased, for the
    value-based scrub. Short names (``Al``, ``Jo``) are skipped: they collide with words."""
    parts = []
    for table, cols in (
        ("patients", ("first_name", "middle_name", "last_name")),
        ("users", ("first_name", "last_name")),
    ):
        for col in cols:
            parts.append(f"SELECT DISTINCT lower({col}) AS n FROM {table}")
    sql = f"SELECT DISTINCT n FROM ({' UNION ALL '.join(parts)}) WHERE length(n) >= {min_length}"
    try:
        rows = con.execute(sql).fetchall()
    except Exception:  # a warehouse without these tables/columns has no names to scrub
        return frozenset()
    return frozenset(r[0] for r in rows if r[0])


def mask_rows(masker: Masker, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [masker.row(r) for r in rows]
