"""The on-disk cache of ICD-10-CM derived tables: same content as a fresh parse, used by a
second process without importing simple-icd-10-cm, and never a reason to fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from himaudit.reference import cache, icd10cm, icd_edits

PROBE = """
import sys
from himaudit.reference.icd10cm import icd10cm_arrow
from himaudit.reference.icd_edits import excludes1_table, manifestation_table
print(icd10cm_arrow().num_rows, excludes1_table().num_rows, manifestation_table().num_rows,
      'simple_icd_10_cm' in sys.modules)
"""


def _probe(cache_dir: Path) -> list[str]:
    env = {**os.environ, "HIMAUDIT_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return out.stdout.split()


@pytest.mark.slow
def test_second_process_reads_the_cache_without_parsing(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first[-1] == "True"  # cold: parsed the tabular
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.arrow")) == [
        "icd10cm", "icd_excludes1", "icd_manifestation"]  # fmt: skip
    second = _probe(tmp_path)
    assert second[:3] == first[:3]
    assert second[-1] == "False"  # warm: no simple-icd-10-cm import at all


def test_cached_tables_equal_a_fresh_parse() -> None:
    assert icd10cm.icd10cm_arrow().equals(icd10cm.icd10cm_arrow.build_uncached())
    assert icd_edits.excludes1_table().equals(icd_edits.excludes1_table.build_uncached())
    assert icd_edits.manifestation_table().equals(icd_edits.manifestation_table.build_uncached())


@pytest.mark.slow
def test_corrupt_or_unwritable_cache_falls_back_to_parsing(tmp_path: Path) -> None:
    good = _probe(tmp_path)
    for f in tmp_path.glob("*.arrow"):
        f.write_bytes(b"not arrow")
    assert _probe(tmp_path)[:3] == good[:3]  # rebuilt, and rewritten
    assert all(f.read_bytes()[:6] == b"ARROW1" for f in tmp_path.glob("*.arrow"))
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    assert _probe(blocker / "cache")[:3] == good[:3]  # cannot create the dir: still works


def test_key_changes_with_the_builder_source(tmp_path: Path) -> None:
    src = tmp_path / "builder.py"
    src.write_text("A = 1\n")
    before = cache._key("t", str(src))
    src.write_text("A = 2\n")
    assert cache._key("t", str(src)) != before
