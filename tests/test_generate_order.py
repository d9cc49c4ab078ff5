"""The generator's canonical row order: the head + tail merge equals a stable full sort."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from himaudit.generate.runner import canonical_order


def _diagnoses(rng: np.random.Generator, n: int, tail: int) -> pl.DataFrame:
    enc = np.sort(rng.integers(0, n // 3, n))
    head = pl.DataFrame(
        {"encounter_id": [f"E{e:09d}" for e in enc], "seq": rng.integers(1, 4, n)}
    ).sort("encounter_id", "seq")
    extra = pl.DataFrame(
        {
            "encounter_id": [f"E{e:09d}" for e in rng.integers(0, n // 3 + 5, tail)],
            "seq": rng.integers(0, 6, tail),
        }
    )
    df = pl.concat([head, extra]).with_columns(code=pl.Series([f"C{i}" for i in range(n + tail)]))
    return df.with_columns(pl.col("seq").cast(pl.Int32))


@pytest.mark.parametrize("tail", [0, 1, 37, 900, 5000])
def test_merge_equals_stable_sort(tail: int) -> None:
    df = _diagnoses(np.random.default_rng(tail), 20_000, tail)
    expected = df.sort("encounter_id", "seq", maintain_order=True, nulls_last=True)
    got = canonical_order("diagnoses", df)
    assert got.equals(expected)  # codes identify rows: ties keep head-before-tail order


def test_unsorted_head_and_null_keys_fall_back_to_full_sort() -> None:
    df = _diagnoses(np.random.default_rng(1), 5_000, 20).reverse()
    assert canonical_order("diagnoses", df).equals(
        df.sort("encounter_id", "seq", maintain_order=True)
    )
    nulls = df.with_columns(
        pl.when(pl.col("code") == "C7").then(None).otherwise(pl.col("seq")).alias("seq")
    )
    assert canonical_order("diagnoses", nulls).equals(
        nulls.sort("encounter_id", "seq", maintain_order=True, nulls_last=True)
    )
