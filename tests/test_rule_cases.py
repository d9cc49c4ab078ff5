"""Every rule's pass/fail cases (tests/cases/<RULE-ID>.yml), run through the engine's
single-rule entry point against a real in-memory DuckDB warehouse.

Test ids start with the rule id, so ``pytest -k DOC-001`` runs one rule. One warehouse is
built per session (reference tables are slow to build); each case inserts its rows inside a
transaction that is rolled back afterwards, so cases never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from himaudit.load.warehouse import init_warehouse
from himaudit.scan.derived import create_views
from himaudit.scan.registry import list_rules
from himaudit.scan.rule import Rule
from himaudit.scan.runner import run_rule

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_AS_OF = "2026-01-01 00:00:00"


def _load_case_files() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (p, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(CASES_DIR.glob("*.yml"))
    ]


def _case_params() -> list[Any]:
    params = []
    for path, doc in _load_case_files():
        for case in doc.get("cases") or []:
            params.append(
                pytest.param(path, doc, case, id=f"{doc.get('rule', path.stem)}-{case['name']}")
            )
    return params


@pytest.fixture(scope="session")
def rules() -> dict[str, Rule]:
    return {r.id: r for r in list_rules(gx=False)}


@pytest.fixture(scope="session")
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    init_warehouse(con)
    create_views(con)  # as the engine does; run_rule re-creates the ones a rule reads
    yield con
    con.close()


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    schema, _, name = table.rpartition(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema or "main", name],
    ).fetchall()
    return dict(rows)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert case rows, casting each value to the column's contract type (unlisted
    columns stay NULL). An unknown table or column fails the case: it is a typo."""
    types = _column_types(con, table)
    if not types:
        raise AssertionError(f"case names unknown table {table!r}")
    for row in rows:
        unknown = sorted(set(row) - set(types))
        if unknown:
            raise AssertionError(f"{table} has no column(s) {unknown}")
        cols = list(row)
        values = [
            v.isoformat(sep=" ")
            if isinstance(v, datetime)
            else v.isoformat()
            if isinstance(v, date)
            else v
            for v in row.values()
        ]
        placeholders = ", ".join(f"CAST(? AS {types[c]})" for c in cols)
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})", values)


@pytest.mark.parametrize(("path", "doc", "case"), _case_params())
def test_rule_case(
    path: Path,
    doc: dict[str, Any],
    case: dict[str, Any],
    rules: dict[str, Rule],
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rule_id = doc["rule"]
    assert path.stem == rule_id, f"{path.name} must be named {rule_id}.yml"
    assert rule_id in rules, f"{path.name}: rule {rule_id} is not registered"
    thresholds = {**(doc.get("thresholds") or {}), **(case.get("thresholds") or {})}
    as_of = case.get("as_of", doc.get("as_of", DEFAULT_AS_OF))
    con = warehouse
    con.begin()
    try:
        for table, rows in (case.get("tables") or {}).items():
            insert_rows(con, table, rows or [])
        result = run_rule(con, rules[rule_id], as_of, thresholds)
        got = sorted(result.column("record_key").to_pylist())
    finally:
        con.rollback()
    expected = sorted(str(k) for k in case.get("expect") or [])
    assert got == expected, f"{rule_id} {case['name']}: got {got}, expected {expected}"


def test_every_rule_has_failing_and_passing_cases(rules: dict[str, Rule]) -> None:
    """sqlfluff-style meta-test: a rule without both kinds of case is untested."""
    docs = {doc["rule"]: doc for _, doc in _load_case_files()}
    problems = []
    for rule_id, rule in sorted(rules.items()):
        doc = docs.get(rule_id)
        if doc is None:
            problems.append(f"{rule_id}: no tests/cases/{rule_id}.yml")
            continue
        cases = doc.get("cases") or []
        if not any(c.get("expect") for c in cases):
            problems.append(f"{rule_id}: no failing case (non-empty expect)")
        if not any(not c.get("expect") and c.get("tables") for c in cases):
            problems.append(f"{rule_id}: no passing case (expect: [] with rows)")
        del rule
    assert not problems, "\n".join(problems)


def test_case_files_name_registered_rules(rules: dict[str, Rule]) -> None:
    for path, doc in _load_case_files():
        assert isinstance(doc, dict) and "rule" in doc, f"{path.name}: needs a 'rule:' key"
        assert doc["rule"] == path.stem, f"{path.name} declares rule {doc['rule']}"
        assert doc["rule"] in rules, f"{path.name}: {doc['rule']} is not a registered rule"
        names = [c["name"] for c in doc.get("cases") or []]
        assert len(names) == len(set(names)), f"{path.name}: duplicate case names"
