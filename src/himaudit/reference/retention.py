"""``ref.retention_schedule``: minimum record-retention periods by state (RET rules).

Typed explicitly rather than sniffed: the minor columns are empty for most rows, and a sniffer
would type an all-empty column as VARCHAR, which would break the rules' date arithmetic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from himaudit.paths import warehouse_dir

if TYPE_CHECKING:
    import duckdb

STEM = "retention_schedule"

DDL = """
CREATE OR REPLACE TABLE ref.retention_schedule (
    state VARCHAR,                       -- two-letter code; 'DEFAULT' = AHIMA fallback
    record_type VARCHAR,                 -- '*' = any record type
    adult_years INTEGER,
    minor_age_of_majority INTEGER,       -- NULL = no separate minor rule
    minor_years_after_majority INTEGER,
    source VARCHAR
)
"""


def build_retention_schedule(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``ref.retention_schedule`` from ``warehouse/reference/retention_schedule.csv``."""
    path = warehouse_dir() / "reference" / f"{STEM}.csv"
    con.execute(DDL)
    con.execute(
        """
        INSERT INTO ref.retention_schedule
        SELECT state, record_type, adult_years, minor_age_of_majority,
               minor_years_after_majority, source
        FROM read_csv(?, header = true, auto_detect = false, columns = {
            'state': 'VARCHAR', 'record_type': 'VARCHAR', 'adult_years': 'INTEGER',
            'minor_age_of_majority': 'INTEGER', 'minor_years_after_majority': 'INTEGER',
            'source': 'VARCHAR'})
        """,
        [str(path)],
    )
    return con.execute("SELECT count(*) FROM ref.retention_schedule").fetchall()[0][0]
