"""Candidate sampling for the ACC injectors: random days, staff, stays, and the final
filter-shuffle-claim step. Every draw is on a small, deterministically ordered frame."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext

from .common import annotate, take


def random_days(rng: np.random.Generator, lo: datetime, hi: datetime, n: int) -> pl.Series:
    """n random dates in [lo, hi) (as a Date series)."""
    a, b = epoch_day(lo), max(epoch_day(hi), epoch_day(lo) + 1)
    return pl.Series("day", rng.integers(a, b, size=n), dtype=pl.Int32).cast(pl.Date)


def epoch_day(t: datetime) -> int:
    return (t.date() - datetime(1970, 1, 1).date()).days


def days_from(col: str, offset: np.ndarray) -> pl.Expr:
    """Date of ``col`` shifted by integer day offsets."""
    return (pl.col(col).dt.date().cast(pl.Int32) + pl.Series(offset, dtype=pl.Int32)).cast(pl.Date)


def finish(
    ctx: GenContext,
    env: dict[str, Any],
    cand: pl.DataFrame,
    rng: np.random.Generator,
    keep: pl.Expr,
    n: int,
    *,
    per_user: bool = True,
    prefer: pl.Expr | None = None,
) -> pl.DataFrame:
    """Annotate candidates, keep those satisfying ``keep`` (+ always: in the data window),
    shuffle deterministically and take ``n`` with distinct unclaimed users."""
    if cand.is_empty() or n <= 0:
        return cand.clear()
    cand = annotate(env, cand.with_columns(cid=pl.int_range(pl.len())))
    # annotate keeps the candidates' order, so the shuffle below is reproducible
    cand = cand.filter(pl.col("in_window") & keep).sort("cid")
    cand = cand[rng.permutation(cand.height)] if cand.height else cand
    if prefer is not None:  # stable: preferred candidates first, random order within
        cand = cand.with_columns(_p=prefer).sort("_p", maintain_order=True).drop("_p")
    return take(ctx, cand, n, per_user=per_user)


def stay_days(links: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """A random date inside each row's stay [admit date, discharge date]."""
    a = links["admit_at"].dt.date().cast(pl.Int32).to_numpy()
    b = links["discharge_at"].dt.date().cast(pl.Int32).to_numpy()
    day = a + (rng.random(links.height) * (b - a + 1)).astype(np.int64)
    return pl.Series("day", day, dtype=pl.Int32).cast(pl.Date)


def sample(df: pl.DataFrame, k: int, rng: np.random.Generator) -> pl.DataFrame:
    return df[rng.integers(0, df.height, size=k)] if df.height else df


def random_staff(
    env: dict[str, Any], groups: tuple[str, ...], k: int, rng: np.random.Generator
) -> pl.Series:
    pool = env["model"].filter(pl.col("group").is_in(groups))["user_id"]
    return (
        pool.gather(rng.integers(0, pool.len(), size=k))
        if pool.len()
        else pl.Series([], dtype=pl.String)
    )


def beyond_window(links: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """A date 9–30 days after discharge (or before admission): just outside ± 7 days."""
    k = rng.integers(9, 31, size=links.height)
    after = rng.random(links.height) < 0.7
    a = links["admit_at"].dt.date().cast(pl.Int32).to_numpy() - k
    b = links["discharge_at"].dt.date().cast(pl.Int32).to_numpy() + k
    return pl.Series("day", np.where(after, b, a), dtype=pl.Int32).cast(pl.Date)


def in_review(env: dict[str, Any], links: pl.DataFrame) -> pl.DataFrame:
    """Links whose stay lies inside the statistical rules' review window (ACC-006/007/008
    learn and judge only the trailing lookback before as_of)."""
    return links.filter(pl.col("admit_at") >= env["review_lo"], pl.col("discharge_at") < env["cap"])
