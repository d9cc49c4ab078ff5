"""A .duckdb INPUT written by another tool: held to the data contract before any rule runs
(one clear line and exit 2 on a mismatch; missing tables are not applicable; the input file
is never modified; an earlier run's results survive a refused one)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from himaudit.cli import app
from himaudit.scan.conform import compatible

runner = CliRunner()
AS_OF = "2026-01-01 00:00:00"


def foreign(path: Path, ddl: str, rows: str = "") -> Path:
    con = duckdb.connect(str(path))
    con.execute(ddl)
    if rows:
        con.execute(rows)
    con.close()
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(wh: Path, out: Path) -> tuple[int, str]:
    res = runner.invoke(app, ["scan", str(wh), "--out", str(out), "--as-of", AS_OF])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def test_patients_only_runs_and_the_rest_is_not_applicable(tmp_path: Path) -> None:
    wh = foreign(
        tmp_path / "other_tool.duckdb",
        # only the required patients columns, one extra column, BIGINT-free
        "CREATE TABLE patients (mrn VARCHAR, first_name VARCHAR, last_name VARCHAR, "
        "sex VARCHAR, birth_date DATE, their_own_column INTEGER)",
        "INSERT INTO patients VALUES ('M0000001', 'Ann', 'Lee', 'F', DATE '1980-01-01', 1), "
        "('M0000001', 'Ann', 'Lee', 'F', DATE '1980-01-01', 2)",
    )
    before = sha(wh)
    code, output = scan(wh, tmp_path / "out")
    assert code == 1, output  # MPI-001: the same MRN twice
    assert sha(wh) == before
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    statuses = {r["rule_id"]: r["status"] for r in summary["rules"]}
    assert statuses["MPI-001"] == "failed"
    assert statuses["DQ-010"] == statuses["DOC-001"] == "not_applicable"
    assert summary["counts"]["by_status"].get("error", 0) == 0
    con = duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True)
    try:  # the optional columns were added empty, ref was built
        assert con.execute("SELECT count(death_date) FROM patients").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) > 70000 FROM ref.icd10cm").fetchall() == [(True,)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (
            "CREATE TABLE patients (mrn VARCHAR, first_name VARCHAR, last_name VARCHAR, "
            "sex VARCHAR, birth_date VARCHAR)",
            "column patients.birth_date: is VARCHAR, the data contract says DATE",
        ),
        (
            "CREATE TABLE patients (mrn VARCHAR, first_name VARCHAR, sex VARCHAR, birth_date DATE)",
            "column patients.last_name: table patients has no column last_name",
        ),
        ("CREATE TABLE inventory (sku INTEGER)", "has none of the canonical tables"),
    ],
)
def test_contract_mismatch_is_one_line_exit_2(tmp_path: Path, ddl: str, message: str) -> None:
    good = foreign(
        tmp_path / "good.duckdb",
        "CREATE TABLE patients (mrn VARCHAR, first_name VARCHAR, last_name VARCHAR, "
        "sex VARCHAR, birth_date DATE)",
        "INSERT INTO patients VALUES ('M0000001', 'Ann', 'Lee', 'F', DATE '1980-01-01')",
    )
    out = tmp_path / "out"
    assert scan(good, out)[0] == 0
    earlier = sha(out / "summary.json")
    bad = foreign(tmp_path / "bad.duckdb", ddl)
    before = sha(bad)
    code, output = scan(bad, out)
    assert code == 2
    lines = [x for x in output.splitlines() if x.strip()]
    assert len(lines) == 1 and "bad.duckdb" in lines[0] and message in lines[0], output
    assert "Traceback" not in output
    assert sha(bad) == before
    assert sha(out / "summary.json") == earlier  # the earlier run's results are intact


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.duckdb"
    fake.write_text("mrn,first_name\nM1,Ann\n")
    code, output = scan(fake, tmp_path / "out")
    assert code == 2 and "fake.duckdb" in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("actual", "expected", "ok"),
    [
        ("BIGINT", "INTEGER", True),
        ("DECIMAL(18,3)", "DOUBLE", True),
        ("TIMESTAMP_NS", "TIMESTAMP", True),
        ("TIMESTAMP", "DATE", False),
        ("VARCHAR", "DATE", False),
        ("INTEGER", "VARCHAR", False),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", False),
    ],
)
def test_type_compatibility(actual: str, expected: str, ok: bool) -> None:
    assert compatible(actual, expected) is ok
