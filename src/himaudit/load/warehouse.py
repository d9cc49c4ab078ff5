"""Create the warehouse layout: canonical tables, ``ref`` reference tables, ``audit`` tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
