"""The canonical-table contract, parsed from ``warehouse/schema.sql``.

schema.sql is the single source of truth: DuckDB executes it to create the warehouse, and
this module reads its annotations (``-- key:`` above a table, ``-- optional`` after a column)
so the loader, generator and rules agree on names, types and keys without a second copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from himaudit.paths import schema_sql

_TABLE_RE = re.compile(r"^CREATE TABLE (\w+) \($")
_COLUMN_RE = re.compile(r"^\s+(\w+) (\w+),?\s*(?:--\s*(.*))?$")
_KEY_RE = re.compile(r"^-- key: ([\w, :]+?)(?:\s*\(.*)?$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type name: VARCHAR, DATE, TIMESTAMP, BOOLEAN, INTEGER, ...
    required: bool
    comment: str


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # logical key columns, in key order
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def record_key_sql(self, alias: str = "") -> str:
        """SQL expression for this table's record_key (``encounter_id:seq`` style)."""
        prefix = f"{alias}." if alias else ""
        parts = [f"CAST({prefix}{k} AS VARCHAR)" for k in self.key]
        return parts[0] if len(parts) == 1 else " || ':' || ".join(parts)


def parse_schema(text: str) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    key: tuple[str, ...] = ()
    name: str | None = None
    cols: list[Column] = []
    for line in text.splitlines():
        if m := _KEY_RE.match(line):
            key = tuple(k.strip() for k in m.group(1).replace(":", ",").split(",") if k.strip())
        elif m := _TABLE_RE.match(line):
            name, cols = m.group(1), []
        elif name and line.startswith(");"):
            if not key:
                raise ValueError(f"schema.sql: table {name} has no '-- key:' annotation")
            tables[name] = Table(name, key, tuple(cols))
            name, key = None, ()
        elif name and (m := _COLUMN_RE.match(line)):
            comment = (m.group(3) or "").strip()
            cols.append(
                Column(m.group(1), m.group(2).upper(), not comment.startswith("optional"), comment)
            )
    return tables


@cache
def load_contract(path: Path | None = None) -> dict[str, Table]:
    """All canonical tables, in schema.sql order."""
    return parse_schema((path or schema_sql()).read_text(encoding="utf-8"))


#: Tables a dataset may contain; answer_key is generator-only and never read by rules.
def canonical_tables() -> list[str]:
    return [t for t in load_contract() if t != "answer_key"]
