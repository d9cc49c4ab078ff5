"""Run one rule against a warehouse connection and return its findings, normalised.

This is the single-rule entry point the engine and the rule-case harness share, so a rule
behaves identically in ``pytest -k DOC-001`` and in ``himaudit scan``. SQL rules get only
the ``$parameters`` they mention (DuckDB refuses unused named parameters), with ``$as_of``
bound as a TIMESTAMP so "today" is the scan's as-of, never the wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from himaudit.errors import UsageError
from himaudit.scan.derived import ensure_views
from himaudit.scan.rule import Rule

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

FINDING_COLUMNS = ("record_key", "mrn", "user_id", "message", "evidence")
_STRIP_RE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_PARAM_RE = re.compile(r"\$([A-Za-z_]\w*)")


def sql_parameters(sql: str) -> set[str]:
    """Names of ``$params`` in the SQL, ignoring string literals and comments (a regex
    such as ``'^M\\d{8}$'`` must not count as a parameter)."""
    return set(_PARAM_RE.findall(_STRIP_RE.sub(" ", sql)))


def as_timestamp(value: datetime | date | str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
    except ValueError:
        raise UsageError(f"as-of {value!r} is not a date (YYYY-MM-DD[ HH:MM:SS])") from None


def rule_params(
    rule: Rule, as_of: datetime | date | str, thresholds: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """as_of + the rule's threshold defaults overlaid with the given overrides."""
    overrides = dict(thresholds or {})
    unknown = sorted(set(overrides) - set(rule.thresholds))
    if unknown:
        raise UsageError(
            f"{rule.id} has no threshold {', '.join(unknown)}; "
            f"known: {', '.join(rule.thresholds) or 'none'}"
        )
    return {"as_of": as_timestamp(as_of), **rule.thresholds, **overrides}


def bind_sql(sql: str, params: Mapping[str, Any], rule_id: str = "") -> dict[str, Any]:
    """The subset of params the SQL mentions; an unknown ``$name`` is a rule error."""
    names = sql_parameters(sql)
    missing = sorted(names - set(params))
    if missing:
        raise RuntimeError(f"{rule_id}: SQL uses undefined parameter(s) ${', $'.join(missing)}")
    return {name: params[name] for name in names}


def normalise_findings(result: Any, rule: Rule) -> pa.Table:
    """Coerce a rule's output (arrow / polars / duckdb relation) to the findings columns,
    all VARCHAR; missing optional columns become NULL, record_key is mandatory."""
    import pyarrow as pa

    if hasattr(result, "to_arrow_table"):  # duckdb result / relation
        table = result.to_arrow_table()
    elif hasattr(result, "to_arrow") and not isinstance(result, pa.Table):  # polars
        table = result.to_arrow()
    elif isinstance(result, pa.Table):
        table = result
    else:
        raise TypeError(f"{rule.id}: rule returned {type(result).__name__}, not a table")
    if "record_key" not in table.column_names:
        raise ValueError(f"{rule.id}: result has no record_key column")
    n = table.num_rows
    wanted = list(FINDING_COLUMNS) + (["table_name"] if "table_name" in table.column_names else [])
    columns = {}
    for name in wanted:
        if name in table.column_names:
            col = table.column(name)
            columns[name] = col if pa.types.is_string(col.type) else col.cast(pa.string())
        else:
            columns[name] = pa.nulls(n, pa.string())
    out = pa.table(columns)
    if out.column("record_key").null_count:
        raise ValueError(f"{rule.id}: {out.column('record_key').null_count} row(s) with NULL key")
    return out


def run_rule(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    as_of: datetime | date | str,
    thresholds: Mapping[str, Any] | None = None,
) -> pa.Table:
    """Run one rule; return a pyarrow Table of findings columns (plus table_name if the
    rule sets it per row). Raises whatever the rule raises — the engine records it."""
    params = rule_params(rule, as_of, thresholds)
    if rule.kind == "sql":
        assert rule.sql is not None
        ensure_views(con, rule.sql)  # derived.<name> views the rule reads (warehouse/derived)
        # The caller's connection, not a cursor: a cursor is a separate DuckDB connection and
        # would not see rows the case harness inserted inside its (rolled-back) transaction.
        rel = con.sql(rule.sql, params=bind_sql(rule.sql, params, rule.id))
        return normalise_findings(rel.to_arrow_table(), rule)
    if rule.kind == "python":
        assert rule.run is not None
        return normalise_findings(rule.run(con, params), rule)
    if rule.kind == "gx":
        from himaudit.scan.gx_stage import run_expectation_rule

        return normalise_findings(run_expectation_rule(con, rule), rule)
    raise ValueError(f"{rule.id}: unknown rule kind {rule.kind!r}")


def run_summary(
    con: duckdb.DuckDBPyConnection, rule: Rule, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Run-summary figures a rule publishes (Python ``summary`` hook or ``.summary.sql``)."""
    if rule.summary is not None:
        return dict(rule.summary(con, dict(params)) or {})
    if rule.summary_sql:
        ensure_views(con, rule.summary_sql)
        res = con.execute(rule.summary_sql, bind_sql(rule.summary_sql, params, rule.id))
        cols = [d[0] for d in res.description]
        rows = res.fetchall()
        return dict(zip(cols, rows[0], strict=True)) if rows else {}
    return {}
