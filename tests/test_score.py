"""himaudit score: P/R/F1 on (rule_id, record_key), from findings files or a trainee CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from himaudit.cli import app
from himaudit.errors import InputError
from himaudit.scan.score import score


def _answer_key(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "answer_key.csv").write_text(
        "defect_id,rule_id,table_name,record_key,mrn,detail\n"
        "d1,DQ-030,encounters,E1,M1,\nd2,DQ-030,encounters,E2,M1,\nd3,DOC-001,notes,N1,M1,\n"
    )
    return path


def test_trainee_csv_scores(tmp_path: Path) -> None:
    key = _answer_key(tmp_path / "ds")
    trainee = tmp_path / "trainee.csv"
    trainee.write_text("rule_id,record_key\nDQ-030,E1\ndq-030,E9\nDOC-001,N1\n")
    result = score(trainee, key, out=tmp_path / "s.json")
    by = {r.rule_id: r for r in result.rules}
    assert (by["DQ-030"].precision, by["DQ-030"].recall) == (0.5, 0.5)
    assert by["DOC-001"].f1 == 1.0
    assert result.overall.true_positives == 2 and result.overall.expected == 3
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["overall"]["false_negatives"] == 1


def test_scan_outdir_and_rule_filter(tmp_path: Path) -> None:
    key = _answer_key(tmp_path / "ds")
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").write_text(
        json.dumps(
            [
                {"rule_id": "DQ-030", "record_key": "E1", "evidence": {"a": 1}},
                {"rule_id": "DQ-030", "record_key": "E2", "evidence": {}},
            ]
        )  # fmt: skip
    )
    result = score(out, key, rules=["DQ"])
    assert [r.rule_id for r in result.rules] == ["DQ-030"]
    assert result.overall.precision == 1.0 and result.overall.recall == 1.0


def test_missing_columns_is_input_error(tmp_path: Path) -> None:
    key = _answer_key(tmp_path / "ds")
    bad = tmp_path / "bad.csv"
    bad.write_text("rule,key\nDQ-030,E1\n")
    with pytest.raises(InputError, match="rule_id and record_key"):
        score(bad, key)


def test_cli_score(tmp_path: Path) -> None:
    key = _answer_key(tmp_path / "ds")
    trainee = tmp_path / "t.csv"
    trainee.write_text("rule_id,record_key\nDQ-030,E1\n")
    res = CliRunner().invoke(
        app, ["score", "--findings", str(trainee), "--answer-key", str(key), "--out", str(tmp_path / "s.csv")],
        catch_exceptions=False,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "overall" in res.output and (tmp_path / "s.csv").read_text().startswith("rule_id,")
