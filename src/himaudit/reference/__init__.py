"""Reference tables (schema ``ref``): ICD-10-CM code set, retention schedules, curated CSVs.

Owned by the foundation work; ``build_reference(con)`` is called by init_warehouse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def build_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``ref`` and load every reference table into it."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    # TODO(foundation): ref.icd10cm from simple-icd-10-cm, ref.retention_schedule, and every
    # warehouse/reference/*.csv as ref.<stem>.
