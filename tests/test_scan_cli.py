"""The scan and rules commands in-process (CliRunner, catch_exceptions=False)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from himaudit.cli import app
from test_scan import AS_OF, make_warehouse

runner = CliRunner()


def test_scan_exit_codes(tmp_path: Path) -> None:
    wh = make_warehouse(tmp_path / "in.duckdb")
    args = [
        "scan",
        str(wh),
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        AS_OF,
        "-r",
        "DQ-030,DQ-010",
    ]
    res = runner.invoke(app, args, catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "DQ-030" in res.output and "2 finding(s)" in res.output
    res = runner.invoke(app, [*args, "--fail-on", "critical"], catch_exceptions=False)
    assert res.exit_code == 0
    res = runner.invoke(app, [*args, "--format", "xml"], catch_exceptions=False)
    assert res.exit_code == 2 and "error: --format" in res.output
    res = runner.invoke(app, ["scan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_rules_json() -> None:
    res = runner.invoke(app, ["rules", "--json", "DQ"], catch_exceptions=False)
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert rows and all(r["family"] == "DQ" for r in rows)
    assert {"id", "severity", "title", "citation"} <= set(rows[0])
