"""Create the warehouse layout: canonical tables, ``ref`` reference tables, ``audit`` tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from himaudit.contract import load_contract
from himaudit.errors import InputError
from himaudit.paths import schema_sql

if TYPE_CHECKING:
    import duckdb

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.loaded_tables (
    table_name VARCHAR, file VARCHAR, rows BIGINT, sha256 VARCHAR, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS audit.load_issues (
    load_id VARCHAR, file VARCHAR, table_name VARCHAR, row_number BIGINT, line BIGINT,
    column_name VARCHAR, raw_value VARCHAR, issue VARCHAR, record_key VARCHAR, detail VARCHAR
);
"""


def init_warehouse(con: duckdb.DuckDBPyConnection, *, reference: bool = True) -> None:
    """Create every canonical table (empty), the audit tables and, unless ``reference`` is
    False, the ``ref`` reference tables. Idempotent only on an empty database."""
    con.execute(schema_sql().read_text(encoding="utf-8"))
    con.execute(AUDIT_DDL)
    if reference:
        from himaudit.reference import build_reference

        build_reference(con)


def replace_dataset(con: duckdb.DuckDBPyConnection, *, new: bool, reference: bool = True) -> None:
    """Prepare ``con`` (inside the caller's transaction) to receive a freshly loaded dataset.

    A new file gets the full layout. An existing warehouse keeps its scan history
    (``audit.runs``, ``audit.findings`` and anything else not listed here) while the canonical
    tables, the ``ref`` tables and the load bookkeeping are dropped and recreated empty —
    a table absent from the new input must not keep the previous dataset's rows. With
    ``reference=False`` the caller builds ``ref`` itself later in the same transaction.
    """
    if not new:
        _refuse_foreign_database(con)
        existing = {
            (schema, name)
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE'"
            ).fetchall()
        }
        for name in load_contract():
            if ("main", name) in existing:
                con.execute(f"DROP TABLE main.{name}")
        for name in ("loaded_tables", "load_issues"):
            if ("audit", name) in existing:
                con.execute(f"DROP TABLE audit.{name}")
        con.execute("DROP SCHEMA IF EXISTS ref CASCADE")
    init_warehouse(con, reference=reference)


def _refuse_foreign_database(con: duckdb.DuckDBPyConnection) -> None:
    """Never drop tables in a DuckDB file that some other tool owns."""
    tables = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
    ).fetchall()
    names = {t for (t,) in tables}
    if names and "audit.loaded_tables" not in names:
        raise InputError(
            "is a DuckDB database but not a himaudit warehouse (no audit.loaded_tables); "
            "choose a new --warehouse file"
        )
