"""Shared fixtures only (keep small): bundled sample paths and a loaded sample warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from himaudit.paths import warehouse_dir


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The tiny clean dataset bundled with himaudit (warehouse/sample)."""
    return warehouse_dir() / "sample"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A DuckDB warehouse file loaded from the sample, built once per session. Copy it before
    changing it."""
    from himaudit.load.loader import load_directory

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_directory(sample_dir, path)
    return path
