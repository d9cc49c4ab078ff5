"""Check a ``.duckdb`` INPUT against the data contract before any rule reads it.

A directory INPUT goes through the loader, which casts every column to its contract type
(unparsable values become DQ-001 findings). A warehouse file is taken as it is, so here,
on the scan's own copy (the input file is never touched):

- a canonical table that is present must have every required contract column, each of a
  compatible type — otherwise the scan stops with one line naming the file, table, column
  and both types (exit 2), instead of 60 rules failing one by one on the same binder error;
  an absent optional column is added empty (NULL), as the loader does for a file;
- a canonical table that is absent is created empty, so its rules end ``not_applicable``
  (as with a directory that lacks the file);
- the ``ref`` reference tables and the ``audit`` tables are built when the file lacks them
  (a warehouse written by another tool).

A file with none of the canonical tables is refused: it is not a dataset to audit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from himaudit.contract import load_contract
from himaudit.errors import InputError

if TYPE_CHECKING:
    import duckdb

#: DuckDB types that hold the same values for every rule (widths and precisions differ).
_FAMILIES = (
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
     "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"},
    {"FLOAT", "DOUBLE", "DECIMAL"},
    {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"},
)  # fmt: skip


def _family(type_name: str) -> str:
    base = re.sub(r"\(.*\)$", "", type_name.strip().upper())  # DECIMAL(18,3) -> DECIMAL
    for members in _FAMILIES:
        if base in members:
            return min(members)
    return base


def compatible(actual: str, expected: str) -> bool:
    """True when a column of DuckDB type ``actual`` can stand for contract type ``expected``."""
    return _family(actual) == _family(expected)


def conform_warehouse(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Make the scan's copy of a warehouse INPUT ready for the rules; return the canonical
    tables it had to create empty. Raises InputError on a contract mismatch."""
    contract = load_contract()
    present: dict[str, dict[str, str]] = {}
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        present.setdefault(str(table), {})[str(column)] = str(data_type)
    if not present.keys() & contract.keys():
        raise InputError(
            "has none of the canonical tables (see `himaudit schema`); nothing to audit",
            file=source,
        )
    created = []
    for name, table in contract.items():
        columns = present.get(name)
        if columns is None:
            body = ", ".join(f"{c.name} {c.type}" for c in table.columns)
            con.execute(f"CREATE TABLE main.{name} ({body})")
            created.append(name)
            continue
        for col in table.columns:
            actual = columns.get(col.name)
            if actual is None and not col.required:
                con.execute(f"ALTER TABLE main.{name} ADD COLUMN {col.name} {col.type}")
                continue
            if actual is None:
                raise InputError(
                    f"table {name} has no column {col.name} (the data contract requires it; "
                    f"see `himaudit schema {name}`)",
                    file=source,
                    column=f"{name}.{col.name}",
                )
            if not compatible(actual, col.type):
                raise InputError(
                    f"is {actual}, the data contract says {col.type} "
                    "(load the table files instead: the loader casts and reports bad values)",
                    file=source,
                    column=f"{name}.{col.name}",
                )
    _ensure_support_tables(con)
    return created


def _ensure_support_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Reference and audit tables for a warehouse that some other tool wrote."""
    from himaudit.load.warehouse import AUDIT_DDL

    con.execute(AUDIT_DDL)
    has_ref = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ref' AND table_name = 'icd10cm'"
    ).fetchall()[0][0]
    if not has_ref:
        from himaudit.reference import build_reference

        con.execute("DROP SCHEMA IF EXISTS ref CASCADE")
        build_reference(con)
