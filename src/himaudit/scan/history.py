"""Run history in the warehouse: ``audit.runs``, ``audit.findings``, ``audit.rule_results``,
and the comparison of one run with the previous one (new / resolved findings).

Keeping history in the same DuckDB file lets a scheduled job ask "what changed since
yesterday" with SQL, without keeping output folders around.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

HISTORY_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.runs (
    run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, as_of TIMESTAMP,
    input VARCHAR, inputs VARCHAR /* JSON [{table, file, rows, sha256}] */,
    config VARCHAR /* JSON */, ruleset_version VARCHAR, himaudit_version VARCHAR,
    rules_run INTEGER, findings BIGINT, counts VARCHAR /* JSON by status/severity */,
    exit_code INTEGER
);
CREATE TABLE IF NOT EXISTS audit.findings (
    run_id VARCHAR, rule_id VARCHAR, severity VARCHAR, family VARCHAR, table_name VARCHAR,
    record_key VARCHAR, mrn VARCHAR, user_id VARCHAR, message VARCHAR, evidence VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.rule_results (
    run_id VARCHAR, rule_id VARCHAR, family VARCHAR, severity VARCHAR, kind VARCHAR,
    status VARCHAR /* passed | failed | not_applicable | error */, findings BIGINT,
    rows_checked BIGINT, percent DOUBLE, tolerance VARCHAR, error VARCHAR, seconds DOUBLE
);
"""
HISTORY_TABLES = ("runs", "findings", "rule_results")


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(HISTORY_DDL)


def insert_findings(
    con: duckdb.DuckDBPyConnection, run_id: str, rule: Any, findings: pa.Table
) -> None:
    """Stamp one rule's findings with run and rule metadata and append them."""
    con.register("_rule_findings", findings)
    try:
        table_expr = "table_name" if "table_name" in findings.column_names else "NULL"
        con.execute(
            f"""INSERT INTO audit.findings
            SELECT $run_id, $rule_id, $severity, $family,
                   coalesce({table_expr}, $record_table), record_key, mrn, user_id,
                   message, evidence
            FROM _rule_findings""",
            {
                "run_id": run_id,
                "rule_id": rule.id,
                "severity": rule.severity,
                "family": rule.family,
                "record_table": None if rule.record_table == "*" else rule.record_table,
            },
        )
    finally:
        con.unregister("_rule_findings")


def insert_rule_result(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    cols = list(row)
    con.execute(
        f"INSERT INTO audit.rule_results ({', '.join(cols)}) VALUES "
        f"({', '.join('$' + c for c in cols)})",
        row,
    )


def insert_run(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    row = {
        k: json.dumps(v, default=str) if isinstance(v, dict | list) else v for k, v in row.items()
    }
    cols = list(row)
    con.execute(
        f"INSERT INTO audit.runs ({', '.join(cols)}) VALUES ({', '.join('$' + c for c in cols)})",
        row,
    )


def previous_run_id(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    rows = con.execute(
        "SELECT run_id FROM audit.runs WHERE run_id <> $r ORDER BY started_at DESC, run_id DESC "
        "LIMIT 1",
        {"r": run_id},
    ).fetchall()
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class Comparison:
    previous_run_id: str | None
    new: list[tuple[str, str]]  # (rule_id, record_key) present now, absent before
    resolved: list[tuple[str, str]]  # present before, absent now
    per_rule: dict[str, tuple[int, int]]  # rule_id -> (new, resolved)

    def as_dict(self) -> dict[str, Any]:
        return {
            "previous_run_id": self.previous_run_id,
            "new": len(self.new),
            "resolved": len(self.resolved),
            "per_rule": {k: {"new": n, "resolved": r} for k, (n, r) in self.per_rule.items()},
        }


def compare_runs(con: duckdb.DuckDBPyConnection, run_id: str) -> Comparison:
    """New and resolved (rule_id, record_key) pairs against the previous run."""
    prev = previous_run_id(con, run_id)
    if prev is None:
        return Comparison(None, [], [], {})
    query = """
        SELECT rule_id, record_key FROM audit.findings WHERE run_id = $a
        EXCEPT
        SELECT rule_id, record_key FROM audit.findings WHERE run_id = $b
        ORDER BY rule_id, record_key"""
    new = [tuple(r) for r in con.execute(query, {"a": run_id, "b": prev}).fetchall()]
    resolved = [tuple(r) for r in con.execute(query, {"a": prev, "b": run_id}).fetchall()]
    per_rule: dict[str, list[int]] = {}
    for rule_id, _ in new:
        per_rule.setdefault(rule_id, [0, 0])[0] += 1
    for rule_id, _ in resolved:
        per_rule.setdefault(rule_id, [0, 0])[1] += 1
    return Comparison(prev, new, resolved, {k: (v[0], v[1]) for k, v in sorted(per_rule.items())})
