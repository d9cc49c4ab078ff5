"""Round trip for the ROI family: clean generated releases trip no ROI rule; every planted
ROI defect (basic and advanced) is found by exactly its rule; the work-queue view groups
findings per request."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from himaudit.generate.profile import load_profile
from himaudit.generate.runner import build_hospital
from himaudit.generate.writer import to_contract
from himaudit.load.warehouse import init_warehouse
from himaudit.paths import warehouse_dir
from himaudit.scan.registry import list_rules
from himaudit.scan.runner import run_rule

FAMILIES = ("ROI", "RET")


def scan_hospital(profile: str, seed: int, patients: int, defects: dict[str, float]):
    """Build a hospital in memory, load it into a real DuckDB warehouse, run the ROI and
    RET rules; return (findings {rule: keys}, answer key {rule: keys}, connection)."""
    prof = load_profile(profile, patients=patients)
    prof = dataclasses.replace(prof, defects=defects)
    ctx = build_hospital(prof, seed)
    con = duckdb.connect()
    init_warehouse(con)
    for table, df in ctx.tables.items():
        if table == "answer_key":
            continue
        con.register("rows_in", to_contract(table, df).to_arrow())
        con.execute(f"INSERT INTO {table} SELECT * FROM rows_in")
        con.unregister("rows_in")
    found = {}
    for rule in list_rules(gx=False, python=False):
        if rule.family in FAMILIES:
            keys = run_rule(con, rule, prof.as_of).column("record_key").to_pylist()
            found[rule.id] = set(keys)
    expected: dict[str, set[str]] = {}
    for row in ctx.tables["answer_key"].iter_rows(named=True):
        expected.setdefault(row["rule_id"], set()).add(row["record_key"])
    return found, expected, con


ROI_RULES = [f"ROI-00{i}" for i in range(1, 8)]


def test_clean_releases_trip_no_roi_rule() -> None:
    found, _, _ = scan_hospital("clean", 3, 800, {})
    assert {r: k for r, k in found.items() if r.startswith("ROI") and k} == {}


@pytest.mark.parametrize("profile", ["training-basic", "training-advanced"])
def test_every_planted_roi_defect_is_found_exactly(profile: str) -> None:
    defects = {r: 5 for r in ROI_RULES}
    found, expected, _ = scan_hospital(profile, 5, 600, defects)
    for rule in ROI_RULES:
        assert len(expected.get(rule, ())) == 5, f"{rule}: injector planted {expected.get(rule)}"
        assert found[rule] == expected[rule], f"{rule}: found {found[rule]} != {expected[rule]}"


def test_roi_work_queue_groups_findings_per_request() -> None:
    found, _, con = scan_hospital("training-basic", 5, 400, {"ROI-002": 2, "ROI-004": 2})
    con.execute(
        "CREATE TABLE audit.runs (run_id VARCHAR, started_at TIMESTAMP);"
        "CREATE TABLE audit.findings (run_id VARCHAR, rule_id VARCHAR, severity VARCHAR,"
        " family VARCHAR, table_name VARCHAR, record_key VARCHAR, mrn VARCHAR,"
        " user_id VARCHAR, message VARCHAR, evidence VARCHAR);"
        "INSERT INTO audit.runs VALUES ('r1', TIMESTAMP '2026-06-30 00:00:00')"
    )
    for rule, table in (("ROI-002", "authorizations"), ("ROI-004", "disclosures")):
        for key in found[rule]:
            con.execute(
                "INSERT INTO audit.findings SELECT 'r1', ?, 'high', 'ROI', ?, ?, mrn, NULL, 'm', '{}'"
                f" FROM {table} WHERE {'authorization_id' if table == 'authorizations' else 'disclosure_id'} = ?",
                [rule, table, key, key],
            )
    con.execute((warehouse_dir() / "views" / "roi_work_queue.sql").read_text())
    rows = con.execute("SELECT disclosure_id, rule_ids FROM audit.roi_work_queue").fetchall()
    assert {r[0] for r in rows if "ROI-004" in r[1]} == found["ROI-004"]
    auth_rows = con.execute(
        "SELECT count(*) FROM audit.roi_work_queue WHERE rule_ids LIKE '%ROI-002%'"
    ).fetchall()[0][0]
    assert auth_rows == 2
