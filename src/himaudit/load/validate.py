"""Read each input once in a scratch DuckDB to count rows and collect load issues.

This runs *before* the warehouse is opened, so a file that breaches ``max_bad_share`` fails
the load without the warehouse ever being written. Issues are kept as an Arrow table (they
can number in the hundreds of thousands on a 30M-row file) and inserted by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from himaudit.errors import InputError
from himaudit.load.casts import literal, reader_sql, unparsable_sql

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from himaudit.load.sources import Source

ISSUE_COLUMNS = (
    "file",
    "table_name",
    "row_number",
    "line",
    "column_name",
    "raw_value",
    "issue",
    "record_key",
    "detail",
)


@dataclass
class Checked:
    source: Source
    rows: int  # rows that will load
    rejected: int  # malformed CSV rows (not loaded)
    bad_rows: int  # loaded rows holding at least one unparsable value
    issues: pa.Table


def check_source(con: duckdb.DuckDBPyConnection, source: Source, max_bad_share: float) -> Checked:
    """Count rows, gather malformed rows and unparsable values, enforce ``max_bad_share``."""
    for name in ("csv_rejects", "csv_scans", "rejected", "unparsable"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    rows = con.execute(f"SELECT count(*) FROM {reader_sql(source, store_rejects=True)}").fetchall()[
        0
    ][0]
    file, table = source.name, source.table.name
    if source.kind == "csv":
        # DuckDB numbers records from the header (line 1), so line - 1 is the record ordinal.
        header = {c.ref: c.name for c in source.columns}
        con.execute(
            """CREATE TEMP TABLE rejected AS
               SELECT DISTINCT ON (line) line, column_name, error_type, csv_line, error_message
               FROM csv_rejects ORDER BY line"""
        )
        rejected_rows = con.execute(
            "SELECT line, column_name, error_type, csv_line, error_message FROM rejected"
        ).fetchall()
    else:
        header, rejected_rows = {}, []
    sql = unparsable_sql(source)
    if sql is None:
        con.execute(
            "CREATE TEMP TABLE unparsable (row_number BIGINT, record_key VARCHAR, "
            "column_name VARCHAR, raw_value VARCHAR)"
        )
    else:
        con.execute(f"CREATE TEMP TABLE unparsable AS {sql}")
        if rejected_rows:
            _shift_past_rejects(con)
    line = "row_number + 1" if source.kind == "csv" else "NULL::BIGINT"
    type_of = " ".join(
        f"WHEN {literal(c.name)} THEN {literal(c.type)}" for c in source.table.columns
    )
    issues = con.sql(
        f"""
        SELECT ? AS file, ? AS table_name, row_number, {line} AS line, column_name, raw_value,
               'unparsable_value' AS issue, record_key,
               'value does not parse as ' || CASE column_name {type_of} END AS detail
        FROM unparsable
        """,
        params=[file, table],
    ).to_arrow_table()
    if rejected_rows:
        malformed = con.sql(
            """
            SELECT ? AS file, ? AS table_name, CAST(line - 1 AS BIGINT) AS row_number,
                   CAST(line AS BIGINT) AS line, column_name, csv_line AS raw_value,
                   'malformed_row' AS issue, NULL::VARCHAR AS record_key,
                   CAST(error_type AS VARCHAR) || ': ' || error_message AS detail
            FROM rejected
            """,
            params=[file, table],
        ).to_arrow_table()
        malformed = _rename_positional(malformed, header)
        import pyarrow as pa

        issues = pa.concat_tables([issues, malformed.cast(issues.schema)])
    bad_rows = con.execute("SELECT count(DISTINCT row_number) FROM unparsable").fetchall()[0][0]
    checked = Checked(source, rows, len(rejected_rows), bad_rows, issues)
    _enforce_share(checked, max_bad_share)
    return checked


def _shift_past_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Turn 'n-th accepted row' into the record's ordinal in the file.

    With rejected ordinals r_1 < r_2 < ..., the accepted rows before r_i number r_i - i, so
    accepted row k sits after exactly max{i : r_i - i < k} rejected rows (an ASOF join).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE unparsable AS
        WITH gaps AS (
            SELECT line - 1 - row_number() OVER (ORDER BY line) AS accepted_before,
                   row_number() OVER (ORDER BY line) AS n_rejected
            FROM rejected
        ), steps AS (
            SELECT accepted_before, max(n_rejected) AS n_rejected FROM gaps GROUP BY ALL
        )
        SELECT u.row_number + coalesce(s.n_rejected, 0) AS row_number,
               u.record_key, u.column_name, u.raw_value
        FROM unparsable u ASOF LEFT JOIN steps s ON u.row_number > s.accepted_before
        """
    )


def _rename_positional(table: pa.Table, header: dict[str, str]) -> pa.Table:
    import pyarrow as pa

    names = [header.get(n, n) if n else None for n in table.column("column_name").to_pylist()]
    idx = table.schema.get_field_index("column_name")
    return table.set_column(idx, "column_name", pa.array(names, pa.string()))


def _enforce_share(checked: Checked, max_bad_share: float) -> None:
    total = checked.rows + checked.rejected
    bad = checked.bad_rows + checked.rejected
    if total == 0 or bad / total <= max_bad_share:
        return
    first = checked.issues.slice(0, 1).to_pylist()[0]
    where = (
        f"first at line {first['line']}" if first["line"] else f"first at row {first['row_number']}"
    )
    if first["column_name"]:
        where += f", column {first['column_name']}"
    raise InputError(
        f"{bad} of {total} rows ({bad / total:.1%}) are malformed or hold unparsable values, "
        f"above --max-bad-share {max_bad_share:g} ({where})",
        file=checked.source.name,
    )
