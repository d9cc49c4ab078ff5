"""Shared fixtures only (keep small): bundled sample paths, a loaded sample warehouse and a
rules directory holding one broken rule."""

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


@pytest.fixture
def broken_rules_dir(tmp_path: Path) -> Path:
    """A ``--rules-dir`` with ZZ-001, a valid header over SQL that fails at run time."""
    rules = tmp_path / "rules"
    (rules / "zz").mkdir(parents=True)
    (rules / "zz" / "ZZ-001.sql").write_text(
        "/*---\nid: ZZ-001\ntitle: Broken\nfamily: ZZ\nseverity: low\n"
        "kahn: {category: conformance, context: verification}\ntables: [patients]\n"
        "record_table: patients\nrecord_key: mrn\ncitation: none\ndescription: broken on purpose\n"
        "---*/\nSELECT mrn AS record_key FROM patients WHERE no_such_column = 1\n"
    )
    return rules
