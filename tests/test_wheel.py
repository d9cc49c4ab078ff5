"""A wheel built from the repo carries warehouse/, expectations/, generators/ and the sample,
and its CLI works from a plain (non-editable) install."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the wheel offline and install it with --target; returns (wheel, target dir)."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp / "dist")],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp / "dist").glob("himaudit-*.whl")
    target = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return wheel, target


def run(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, "-c", "from himaudit.cli import main; main()", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_wheel_contains_data_trees(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "himaudit/_bundled/warehouse/schema.sql",
        "himaudit/_bundled/warehouse/reference/retention_schedule.csv",
        "himaudit/_bundled/warehouse/sample/patients.csv",
    ):
        assert required in names
    # Every data file of the checkout ships (expectations/ may still be empty early on).
    for tree in ("warehouse", "expectations", "generators"):
        for path in (REPO / tree).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(REPO).as_posix()
                assert f"himaudit/_bundled/{rel}" in names, rel


def test_installed_package_resolves_bundled_resources(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, target = installed
    code = (
        "import himaudit, himaudit.paths as p; "
        "print(himaudit.__file__); print(p.resource_dir('warehouse')); print(p.schema_sql())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    bundled = target / "himaudit" / "_bundled"
    assert Path(out[0]).is_relative_to(target), "the checkout was imported, not the wheel"
    assert Path(out[1]) == bundled / "warehouse"
    assert Path(out[2]).is_file() and Path(out[2]).is_relative_to(bundled)


def test_installed_cli_schema_and_load_sample(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, target = installed
    schema = run(target, tmp_path, "schema", "--json")
    assert schema.returncode == 0, schema.stderr
    assert '"patients"' in schema.stdout
    loaded = run(target, tmp_path, "load", "--sample", "--warehouse", "sample.duckdb")
    assert loaded.returncode == 0, loaded.stderr
    assert (tmp_path / "sample.duckdb").is_file()
    import duckdb

    con = duckdb.connect(str(tmp_path / "sample.duckdb"), read_only=True)
    (path,) = con.execute("SELECT DISTINCT file FROM audit.loaded_tables").fetchall()[0:1][0]
    assert Path(path).is_relative_to(target), path  # the sample came from inside the wheel
    assert con.execute("SELECT count(*) FROM audit.loaded_tables").fetchall()[0][0] == 12
