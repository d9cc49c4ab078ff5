"""ICD-10-CM code-pair and principal-diagnosis edits parsed from simple-icd-10-cm notes.

Builds two reference tables used by the COD rules:

- ``ref.icd_excludes1(code, target_lo, target_hi, note_on)``: one row per billable code and
  Excludes1 target range that applies to it. Excludes1 notes are written on the category,
  block or chapter where the tabular prints them and apply to every code below, so each
  leaf inherits its ancestors' notes. A target is a range of undotted code prefixes: a code
  ``x`` falls in it when ``left(x, len(target_lo)) >= target_lo`` and
  ``left(x, len(target_hi)) <= target_hi`` (``E08.-`` is ``E08``..``E08``; ``A00-B99`` is
  ``A00``..``B99``). Notes with qualifiers the parser cannot express exactly ("with fifth
  character 1") are skipped rather than over-flag.
- ``ref.icd_manifestation(code)``: billable codes that must not be sequenced first. The
  tabular marks them in italics, which the package does not carry; what it does carry is the
  "Code first underlying disease" note on the code or an ancestor together with a title
  "... in diseases classified elsewhere" (the MCE manifestation list's defining pattern).

Parsing all 98k items takes seconds, so results are cached on disk and per process
(``himaudit.reference.cache``).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from himaudit.reference.cache import disk_cached

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_EXCL_COLUMNS = ("code", "target_lo", "target_hi", "note_on")

# A code reference inside a note's parenthesis: E08.-, O24.4-, J69.8, A00-B99, S02.1-S02.4
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?"
_REF = re.compile(rf"({_CODE})(?:\.?-)?(?:\s*-\s*({_CODE})(?:\.?-)?)?")
_TAIL_PAREN = re.compile(r"\(([^()]*)\)\s*$")
_QUALIFIED = re.compile(r"\bwith\b|character", re.IGNORECASE)


def _undot(code: str) -> str:
    return code.replace(".", "").replace("-", "").upper()


def parse_excludes_note(note: str) -> list[tuple[str, str]]:
    """Target ranges (lo, hi) of undotted prefixes named by one Excludes1 note line."""
    match = _TAIL_PAREN.search(note)
    if not match or _QUALIFIED.search(match.group(1)):
        return []
    ranges = []
    for part in match.group(1).split(","):
        ref = _REF.fullmatch(part.strip())
        if ref:
            lo = _undot(ref.group(1))
            hi = _undot(ref.group(2)) if ref.group(2) else lo
            ranges.append((lo, hi))
    return ranges


def _in_range(code: str, lo: str, hi: str) -> bool:
    return code[: len(lo)] >= lo and code[: len(hi)] <= hi


@functools.cache
def excludes1_rows() -> tuple[tuple[str, str, str, str], ...]:
    """(code, target_lo, target_hi, note_on) for every billable code, inherited notes included."""
    table = excludes1_table()
    return tuple(zip(*(table[c].to_pylist() for c in _EXCL_COLUMNS), strict=True))


@disk_cached("icd_excludes1", __file__)
def excludes1_table() -> pa.Table:
    """Excludes1 rows as an Arrow table (the parsing behind ``excludes1_rows``)."""
    import pyarrow as pa
    import simple_icd_10_cm as icd

    own: dict[str, list[tuple[str, str]]] = {}
    for item in icd.get_all_codes(with_dots=True):
        notes = icd.get_excludes1(item)
        if notes:
            own[item] = [r for n in notes for r in parse_excludes_note(n)]
    rows: list[tuple[str, str, str, str]] = []
    for leaf in icd.get_all_codes(with_dots=True):
        if not icd.is_leaf(leaf) or icd.is_chapter_or_block(leaf):
            continue
        code = _undot(leaf)
        seen: set[tuple[str, str]] = set()
        for holder in (leaf, *icd.get_ancestors(leaf)):
            for lo, hi in own.get(holder, ()):
                # a note can name a sibling range that contains the holder's own subtree;
                # a code never excludes itself
                if (lo, hi) in seen or _in_range(code, lo, hi):
                    continue
                seen.add((lo, hi))
                rows.append((code, lo, hi, _undot(holder) if "-" not in holder else holder))
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(_EXCL_COLUMNS)
    return pa.table(
        {name: pa.array(col, pa.string()) for name, col in zip(_EXCL_COLUMNS, cols, strict=True)}
    )


@functools.cache
def manifestation_codes() -> tuple[str, ...]:
    """Billable codes whose own or inherited notes mark them as manifestations."""
    return tuple(manifestation_table()["code"].to_pylist())


@disk_cached("icd_manifestation", __file__)
def manifestation_table() -> pa.Table:
    import pyarrow as pa
    import simple_icd_10_cm as icd

    out = []
    for leaf in icd.get_all_codes(with_dots=True):
        if not icd.is_leaf(leaf) or icd.is_chapter_or_block(leaf):
            continue
        chain = [a for a in (leaf, *icd.get_ancestors(leaf)) if not icd.is_chapter_or_block(a)]
        first_noted = [a for a in chain if icd.get_code_first(a)]
        if first_noted and any("classified elsewhere" in icd.get_description(a) for a in chain):
            out.append(_undot(leaf))
    return pa.table({"code": pa.array(sorted(out), pa.string())})


def excludes1_related(a: str, b: str) -> bool:
    """True when codes a and b (any dot/case form) form an Excludes1 pair, either direction."""
    index = _excludes_index()
    a, b = _undot(a), _undot(b)
    return any(_in_range(b, lo, hi) for lo, hi in index.get(a, ())) or any(
        _in_range(a, lo, hi) for lo, hi in index.get(b, ())
    )


@functools.cache
def _excludes_index() -> dict[str, tuple[tuple[str, str], ...]]:
    index: dict[str, list[tuple[str, str]]] = {}
    for code, lo, hi, _ in excludes1_rows():
        index.setdefault(code, []).append((lo, hi))
    return {k: tuple(v) for k, v in index.items()}


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ref.icd_excludes1`` and ``ref.icd_manifestation``."""
    excl = excludes1_table()
    manif = manifestation_table()
    con.register("_icd_excl_src", excl)
    con.register("_icd_manif_src", manif)
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ref")
        con.execute("CREATE OR REPLACE TABLE ref.icd_excludes1 AS SELECT * FROM _icd_excl_src")
        con.execute("CREATE OR REPLACE TABLE ref.icd_manifestation AS SELECT * FROM _icd_manif_src")
    finally:
        con.unregister("_icd_excl_src")
        con.unregister("_icd_manif_src")
