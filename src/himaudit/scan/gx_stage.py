"""The GX stage of a scan: DQ rules whose checks are GX expectations, validated table by
table inside the DuckDB warehouse (through :mod:`himaudit.scan.gx_duckdb`, where every GX
workaround lives), failed expectations turned into findings with the offending rows' keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from himaudit.contract import load_contract
from himaudit.scan.gx_duckdb import GXWarehouse, gx_speedups, key_columns
from himaudit.scan.rule import Rule

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

#: Columns whose values are PHI: findings never echo them (ARCHITECTURE.md, privacy).
PHI_COLUMNS = frozenset(
    {"first_name", "middle_name", "last_name", "ssn", "address", "phone", "city", "zip"}
)


#: The key-uniqueness expectation himaudit adds to GX (scan/gx_unique.py, rule DQ-020).
UNIQUE_KEY = "expect_column_values_to_be_unique_key"


def findings_from_query(
    gxw: GXWarehouse, rule_id: str, table: str, exp: dict[str, Any], query: str
) -> pa.Table:
    """Run GX's unexpected_index_query in DuckDB and shape its rows as findings: one per
    record key (a duplicated key's rows are one finding, with how many rows share it)."""
    column = exp.get("kwargs", {}).get("column", "")
    index = key_columns(table)
    names = [f"c{i}" for i in range(len(index) + 1)]  # index columns, then the value
    pos = {c: f"c{i}" for i, c in enumerate(index)}
    key_sql = " || ':' || ".join(  # a NULL key part reads as empty ("E3:"), not a NULL key
        f"coalesce(CAST({pos[k]} AS VARCHAR), '')" for k in load_contract()[table].key
    )
    value = "'(masked)'" if column in PHI_COLUMNS else f"CAST({names[-1]} AS VARCHAR)"
    kind = re.sub(r"^expect_(column_values_to_)?", "", str(exp.get("type", ""))).replace("_", " ")
    copies, message = "", f"""'{table}.{column} fails "{kind}" ({rule_id})'"""
    if exp.get("type") == UNIQUE_KEY:
        copies = ", copies := count(*)"
        message = (
            f"'Key ' || record_key || ' appears ' || count(*) || ' times in {table} ({rule_id})'"
        )
    sql = f"""
        SELECT record_key, '{table}' AS table_name, min(mrn) AS mrn, min(user_id) AS user_id,
               {message} AS message,
               CAST(to_json(struct_pack(column_name := '{column}', value := min(value),
                                   expectation := '{exp.get("type", "")}'{copies})) AS VARCHAR)
                 AS evidence
        FROM (SELECT {key_sql} AS record_key, CAST({pos.get("mrn", "NULL")} AS VARCHAR) AS mrn,
                     CAST({pos.get("user_id", "NULL")} AS VARCHAR) AS user_id, {value} AS value
              FROM ({query.strip().rstrip(";")}) AS q({", ".join(names)})) AS r
        GROUP BY record_key"""
    return gxw.query_arrow(sql)


def _gx_expectation(exp: dict[str, Any], tag: str) -> dict[str, Any]:
    """The suite entry GX sees: without our 'table' field, tagged so results map back."""
    return {
        "type": exp["type"],
        "kwargs": exp.get("kwargs", {}),
        "meta": {**(exp.get("meta") or {}), "himaudit_item": tag},
    }


def run_gx_rules(wh: Path, rules: Sequence[Rule]) -> dict[str, Any]:
    """Validate GX rules, one GX run per table; rule id -> findings (pyarrow), None when
    nothing failed, or the exception that broke the rule.

    Two passes per table: every expectation as BOOLEAN_ONLY (one bundled aggregate query),
    then only the failed ones again for GX's unexpected_index_query, each run once in DuckDB
    to fetch the offending rows' keys."""
    import pyarrow as pa

    by_table: dict[str, list[tuple[str, Rule, dict[str, Any]]]] = {}
    for rule in rules:
        for i, item in enumerate((rule.expectation or {}).get("items", [])):
            by_table.setdefault(item["table"], []).append((f"{rule.id}#{i}", rule, item))
    parts: dict[str, list[pa.Table]] = {r.id: [] for r in rules}
    errors: dict[str, BaseException] = {}
    # One context and connection for every table, in table order. (Two threads, one per
    # table, measured no faster once DQ-020's key grouping made the stage DuckDB-bound, and
    # two big groupings at once cost the scan 0.9 GB more peak memory at 1M patients.)
    with gx_speedups():
        gxw = GXWarehouse(wh)
        try:
            for table in sorted(by_table):
                for rule_id, value in _validate_table(gxw, table, by_table[table]):
                    if isinstance(value, BaseException):
                        errors.setdefault(rule_id, value)
                    else:
                        parts[rule_id].append(value)
        finally:
            gxw.close()
    outcomes: dict[str, Any] = {}
    for rule in rules:
        if rule.id in errors:
            outcomes[rule.id] = errors[rule.id]
        elif parts[rule.id]:
            outcomes[rule.id] = _one_per_record(pa.concat_tables(parts[rule.id]))
    return outcomes


def _validate_table(
    gxw: GXWarehouse, table: str, entries: list[tuple[str, Rule, dict[str, Any]]]
) -> list[tuple[str, Any]]:
    """Both passes for one table: (rule id, findings or error) pairs."""
    tagged = {tag: (rule, item) for tag, rule, item in entries}
    errors: dict[str, BaseException] = {}
    try:
        failed = _failed_tags(gxw, table, entries, tagged, errors)
        results = gxw.validate(table, [_gx_expectation(tagged[t][1], t) for t in failed],
                               keys=True) if failed else []  # fmt: skip
    except Exception as err:  # noqa: BLE001 - one table's failure is its rules' error
        return [*errors.items(), *((r.id, err) for _, r, _ in entries)]
    out: list[tuple[str, Any]] = list(errors.items())
    for res in results:
        rule, item = tagged[_tag(res)]
        outcome = _outcome(gxw, rule.id, table, item, res)
        if outcome is not None:
            out.append((rule.id, outcome))
    return out


def _tag(res: Any) -> str:
    return str(res.expectation_config.meta["himaudit_item"])


def _failed_tags(
    gxw: GXWarehouse,
    table: str,
    entries: list[tuple[str, Rule, dict[str, Any]]],
    tagged: dict[str, tuple[Rule, dict[str, Any]]],
    errors: dict[str, BaseException],
) -> list[str]:
    """First pass: the tags of expectations that failed; the ones GX could not evaluate
    become their rule's error."""
    failed = []
    for res in gxw.validate(table, [_gx_expectation(i, t) for t, _, i in entries]):
        tag = _tag(res)
        message = raised_exception({"exception_info": res.exception_info})
        if message:
            errors.setdefault(tagged[tag][0].id, RuntimeError(f"GX: {message}"))
        elif not res.success:
            failed.append(tag)
    return failed


def _one_per_record(findings: pa.Table) -> pa.Table:
    """A row failing two expectations of one rule is one finding (the first, by column)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("f", findings)
        return con.sql(
            "SELECT * FROM f QUALIFY row_number() OVER (PARTITION BY table_name, record_key "
            "ORDER BY message, evidence) = 1 ORDER BY table_name, record_key"
        ).to_arrow_table()
    finally:
        con.close()


def raised_exception(d: dict[str, Any]) -> str | None:
    """The exception message of a GX result, flat or keyed by metric id (GX uses both)."""
    info = d.get("exception_info") or {}
    candidates = [info, *[v for v in info.values() if isinstance(v, dict)]]
    for c in candidates:
        if c.get("raised_exception"):
            return str(c.get("exception_message") or "GX raised an exception").splitlines()[0]
    return None


def _outcome(gxw: GXWarehouse, rule_id: str, table: str, item: dict[str, Any], res: Any) -> Any:
    """Second pass result of a failed expectation -> its findings, or the error."""
    message = raised_exception({"exception_info": res.exception_info})
    if message:
        return RuntimeError(f"GX: {message}")
    if res.success:  # passed on the second look (data cannot change: read-only)
        return None
    query = (res.result or {}).get("unexpected_index_query")
    if not query:
        return RuntimeError(f"GX returned no unexpected_index_query for {rule_id} on {table}")
    try:
        return findings_from_query(gxw, rule_id, table, item, str(query))
    except Exception as err:  # noqa: BLE001 - reported as the rule's error
        return err


def run_expectation_rule(con: duckdb.DuckDBPyConnection, rule: Rule) -> pa.Table:
    """Single-rule entry point for a GX rule: needs the connection's database file."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    path = rows[0][0] if rows else None
    if not path:
        raise RuntimeError(f"{rule.id}: GX rules run against a warehouse file, not :memory:")
    outcome = run_gx_rules(Path(path), [rule]).get(rule.id)
    if isinstance(outcome, BaseException):
        raise outcome
    import pyarrow as pa

    if outcome is None:
        return pa.table({"record_key": pa.array([], pa.string())})
    return outcome
