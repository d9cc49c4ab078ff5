"""Run the bad-input corpus (tests/bad_inputs/<case>/) through the real ``himaudit load`` CLI."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from himaudit.cli import app

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.yml").is_file())
ISSUE_FIELDS = ("file", "table_name", "row_number", "line", "column_name", "raw_value", "issue")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_hashes(case: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(case.iterdir()) if p.is_file()}


def expected(case: Path) -> dict:
    return yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))


def run_cli(case: Path, warehouse: Path, args: list[str]):
    runner = CliRunner()
    return runner.invoke(
        app, ["load", str(case), "--warehouse", str(warehouse), *args], catch_exceptions=False
    )


def test_corpus_is_not_empty() -> None:
    kinds = {expected(c)["kind"] for c in CASES}
    assert kinds == {"fatal", "recorded"} and len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_case(case: Path, tmp_path: Path, sample_warehouse: Path) -> None:
    spec = expected(case)
    before = input_hashes(case)
    args = [str(a) for a in spec.get("args", [])]
    if spec["kind"] == "fatal":
        check_fatal(case, spec, args, tmp_path, sample_warehouse)
    else:
        check_recorded(case, spec, args, tmp_path / "wh.duckdb")
    assert input_hashes(case) == before, "the loader modified its input"


def check_fatal(case: Path, spec: dict, args: list[str], tmp: Path, sample: Path) -> None:
    # 1. A new warehouse path: nothing may be left behind.
    fresh = tmp / "new.duckdb"
    result = run_cli(case, fresh, args)
    assert result.exit_code == spec["exit_code"], result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith("error: ")
    assert spec["message"] in lines[0], lines[0]
    assert not fresh.exists() and not Path(str(fresh) + ".wal").exists()
    # 2. An existing warehouse: byte-identical afterwards.
    existing = tmp / "existing.duckdb"
    shutil.copyfile(sample, existing)
    before = digest(existing)
    again = run_cli(case, existing, args)
    assert again.exit_code == spec["exit_code"]
    assert digest(existing) == before, "a fatal load changed the warehouse"


def check_recorded(case: Path, spec: dict, args: list[str], warehouse: Path) -> None:
    result = run_cli(case, warehouse, args)
    assert result.exit_code == spec["exit_code"], result.output + result.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loaded = dict(con.execute("SELECT table_name, rows FROM audit.loaded_tables").fetchall())
        assert loaded == spec["tables"]
        for table, rows in spec["tables"].items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == rows
        cols = (*ISSUE_FIELDS, "record_key", "detail")
        actual = [
            dict(zip(cols, row, strict=True))
            for row in con.execute(
                f"SELECT {', '.join(cols)} FROM audit.load_issues ORDER BY file, row_number"
            ).fetchall()
        ]
        wanted = spec["load_issues"]
        assert len(actual) == len(wanted), actual
        for got, want in zip(actual, wanted, strict=True):
            for key, value in want.items():
                if key == "detail_contains":
                    assert value in got["detail"], got
                else:
                    assert got[key] == value, (key, got)
        for check in spec.get("values", []):
            assert [list(r) for r in con.execute(check["sql"]).fetchall()] == check["expect"]
    finally:
        con.close()


def _entry_point() -> str:
    exe = Path(sys.executable).parent / "himaudit"
    found = exe if exe.exists() else shutil.which("himaudit")
    if not found:
        pytest.skip("himaudit console script not installed")
    return str(found)


def test_installed_entry_point_smoke(tmp_path: Path) -> None:
    """The console script itself: one fatal case (exit 2, one line) and one recorded case."""
    exe = _entry_point()
    bad = subprocess.run(
        [exe, "load", str(CORPUS / "missing_required_column"), "-w", str(tmp_path / "a.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr
    assert "missing required column" in bad.stderr
    good = subprocess.run(
        [exe, "load", str(CORPUS / "unparsable_date"), "-w", str(tmp_path / "b.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    assert "1 load issue" in good.stdout
