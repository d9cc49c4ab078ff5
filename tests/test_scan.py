"""End-to-end scans on small real warehouses: statuses, errors, outputs, history, config."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from himaudit.errors import ExitCode, UsageError
from himaudit.load.warehouse import init_warehouse
from himaudit.scan.engine import scan

AS_OF = "2026-01-01 00:00:00"


def make_warehouse(path: Path, *, encounters: bool = True) -> Path:
    con = duckdb.connect(str(path))
    init_warehouse(con)
    con.execute(
        "INSERT INTO patients (mrn, first_name, last_name, sex, birth_date) VALUES "
        "('M00000001', 'Ann', 'Lee', 'F', DATE '1980-01-01'), "
        "('M00000002', 'Bo', 'Ng', 'M', DATE '1975-05-05')"
    )
    if encounters:
        con.execute(
            "INSERT INTO encounters (encounter_id, mrn, encounter_class, admit_at, discharge_at) "
            "VALUES ('E1', 'M00000001', 'outpatient', TIMESTAMP '2025-02-01 09:00', "
            "TIMESTAMP '2025-02-01 08:00'), ('E2', 'M00000009', 'outpatient', "
            "TIMESTAMP '2025-02-01 09:00', TIMESTAMP '2025-02-01 10:00')"
        )
    con.close()
    return path


def test_only_patients_marks_the_rest_not_applicable(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb", encounters=False)
    result = scan(wh, tmp_path / "out", as_of=AS_OF, rules=["DQ"])
    statuses = {r["rule_id"]: r["status"] for r in result.rules}
    assert statuses["DQ-010"] == "not_applicable"  # reads encounters
    assert statuses["DQ-030"] == "not_applicable"
    assert result.exit_code == ExitCode.OK


def test_failed_rules_findings_and_outputs(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    out = tmp_path / "out"
    result = scan(
        wh, out, as_of=AS_OF, rules=["DQ-010", "DQ-030"], formats="json,csv,parquet,junit"
    )
    assert result.exit_code == ExitCode.FINDINGS
    found = json.loads((out / "findings.json").read_text())
    assert {(f["rule_id"], f["record_key"]) for f in found} == {("DQ-010", "E2"), ("DQ-030", "E1")}
    assert all(isinstance(f["evidence"], dict) for f in found)
    for name in (
        "findings.csv",
        "findings.parquet",
        "junit.xml",
        "summary.json",
        "warehouse.duckdb",
    ):
        assert (out / name).is_file(), name
    assert not list(out.glob("*.tmp-*"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["as_of"] == AS_OF
    assert summary["counts"]["by_status"]["failed"] == 2
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM audit.findings").fetchall() == [(2,)]
    assert con.execute("SELECT count(*), max(findings) FROM audit.runs").fetchall() == [(1, 2)]
    con.close()
    # fail_on above the rules' severity: findings reported, exit 0
    assert scan(wh, out, as_of=AS_OF, rules=["DQ-010"], fail_on="critical").exit_code == 0


def test_broken_rule_is_error_and_scan_continues(tmp_path: Path, broken_rules_dir: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    result = scan(
        wh, tmp_path / "out", as_of=AS_OF, rules=["ZZ", "DQ-030"], rules_dirs=[broken_rules_dir]
    )
    by_id = {r["rule_id"]: r for r in result.rules}
    assert by_id["ZZ-001"]["status"] == "error" and "no_such_column" in by_id["ZZ-001"]["error"]
    assert by_id["DQ-030"]["status"] == "failed"  # ran after the broken rule
    assert result.exit_code == ExitCode.RULE_ERROR


def test_history_and_compare(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    out = tmp_path / "out"
    first = scan(wh, out, as_of=AS_OF, rules=["DQ-030", "DQ-010"])
    con = duckdb.connect(str(wh))
    con.execute(
        "UPDATE encounters SET discharge_at = TIMESTAMP '2025-02-01 11:00' WHERE encounter_id = 'E1'"
    )
    con.execute(
        "UPDATE encounters SET discharge_at = TIMESTAMP '2025-02-01 08:00' WHERE encounter_id = 'E2'"
    )
    con.close()
    second = scan(wh, out, as_of=AS_OF, rules=["DQ-030", "DQ-010"], compare=True)
    c = second.comparison
    assert c is not None and c.previous_run_id == first.run_id
    assert c.new == [("DQ-030", "E2")] and c.resolved == [("DQ-030", "E1")]
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM audit.runs").fetchall() == [(2,)]
    con.close()


def test_config_tolerance_disable_and_thresholds(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    cfg = tmp_path / "himaudit.toml"
    cfg.write_text(
        'fail_on = "low"\nformats = ["csv"]\n[rules]\ndisable = ["DQ-010"]\n'
        "[thresholds.DQ-030]\nmax_count = 1\n"
    )
    result = scan(wh, tmp_path / "out", as_of=AS_OF, rules=["DQ"], config=cfg)
    by_id = {r["rule_id"]: r for r in result.rules}
    assert "DQ-010" not in by_id
    assert by_id["DQ-030"]["status"] == "passed" and by_id["DQ-030"]["findings"] == 1
    assert (tmp_path / "out" / "findings.csv").is_file()
    assert not (tmp_path / "out" / "findings.json").exists()
    con = duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True)
    recorded = json.loads(con.execute("SELECT config FROM audit.runs").fetchall()[0][0])
    con.close()
    assert recorded["memory_limit"] == "2GB"  # the default cap, recorded with the run
    cfg.write_text('memory_limit = "lots"\n')
    with pytest.raises(UsageError, match="memory_limit 'lots'"):
        scan(wh, tmp_path / "out2", as_of=AS_OF, rules=["DQ-030"], config=cfg)
    cfg.write_text('memory_limit = "512MB"\n')
    assert scan(wh, tmp_path / "out3", as_of=AS_OF, rules=["DQ-030"], config=cfg).exit_code == 1
    cfg.write_text("[thresholds.DQ-030]\nno_such_param = 3\n")
    with pytest.raises(UsageError, match="DQ-030 has no threshold no_such_param"):
        scan(wh, tmp_path / "out2", as_of=AS_OF, rules=["DQ-030"], config=cfg)


def test_bad_usage(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    with pytest.raises(UsageError, match="--format"):
        scan(wh, tmp_path / "out", formats="xml")
    with pytest.raises(UsageError, match="unknown rule or family"):
        scan(wh, tmp_path / "out", rules=["NOPE"])
