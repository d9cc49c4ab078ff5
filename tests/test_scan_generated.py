"""Round trips with generated hospitals: clean data gives zero DQ findings; every planted DQ
defect is found exactly (P = R = 1.0 via score); directory inputs through the loader."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from himaudit.errors import ExitCode
from himaudit.generate.runner import generate
from himaudit.scan.engine import scan
from himaudit.scan.score import score

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "ds"
    generate(out, profile="clean", seed=11, patients=400, progress=False)
    return out


@pytest.mark.parametrize("profile", ["training-basic", "training-advanced"])
def test_planted_dq_defects_found_exactly(tmp_path: Path, profile: str) -> None:
    ds = tmp_path / "ds"
    generate(ds, profile=profile, seed=3, progress=False)
    result = scan(ds, tmp_path / "out", rules=["DQ"])
    assert result.exit_code in (ExitCode.OK, ExitCode.FINDINGS)
    scores = score(tmp_path / "out", ds, rules=["DQ"])
    planted = {r.rule_id for r in scores.rules if r.expected}
    assert planted, "profile planted no DQ defects"
    bad = [r.as_dict() for r in scores.rules if r.precision != 1.0 or r.recall != 1.0]
    assert not bad, bad


def test_clean_data_has_zero_dq_findings(clean: Path, tmp_path: Path) -> None:
    result = scan(clean, tmp_path / "out", rules=["DQ"])
    assert result.findings == 0, json.dumps(
        [r for r in result.rules if r["findings"] or r["status"] == "error"], default=str
    )
    assert all(r["status"] in ("passed", "not_applicable") for r in result.rules)
    assert result.exit_code == ExitCode.OK
    assert result.as_of.isoformat().startswith("2026-06-30")  # the manifest's as-of


def test_only_patients_csv(clean: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    duckdb.sql(f"COPY (SELECT * FROM '{clean / 'patients.parquet'}') TO '{src / 'patients.csv'}'")
    result = scan(src, tmp_path / "out")
    by = {r["rule_id"]: r["status"] for r in result.rules}
    assert by["DQ-010"] == by["DQ-034"] == by["DOC-001"] == "not_applicable"
    assert by["DQ-101"] == "passed"  # patients' required fields checked by GX
    assert by["DQ-001"] == "passed"
    assert result.exit_code != ExitCode.RULE_ERROR, [
        r for r in result.rules if r["error"] and r["status"] == "error"
    ]


def test_load_conformance_records_become_findings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "patients.csv").write_text(
        "mrn,first_name,last_name,sex,birth_date\n"
        "M00000001,Ann,Lee,F,1980-01-01\n"
        "M00000002,Bo,Ng,M,1980-02-31\n"
        "M00000003,Cy,Wu,F,1970-03-03,extra,fields\n"
        + "".join(f"M1{i:07d},A,B,F,1990-01-01\n" for i in range(60))
    )
    result = scan(src, tmp_path / "out", rules=["DQ-001", "DQ-002"])
    found = json.loads((tmp_path / "out" / "findings.json").read_text())
    keys = {(f["rule_id"], f["record_key"]) for f in found}
    assert {r for r, _ in keys} == {"DQ-001", "DQ-002"}, keys
    assert any(k.endswith(":birth_date") for r, k in keys if r == "DQ-001")
    # the raw value is kept as evidence (a date is not name/SSN PHI), so an analyst can fix it
    assert "1980-02-31" in json.dumps(found)
    assert result.exit_code == ExitCode.FINDINGS
