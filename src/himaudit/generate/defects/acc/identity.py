"""ACC-001..003: access outside employment and to one's own or a household member's record
— single chart opens inside the user's shift, on sampled candidates."""

from __future__ import annotations

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector

from .common import DAY, count, emit, env_of, in_shift, with_users
from .sampling import days_from, finish


@injector("ACC-001", tables=("access_log",))
def inject_terminated_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A chart opened after the user's termination (or before hire): the user's own last
    (first) patient, in their usual shift. Advanced: hours to 2 days off the boundary."""
    env, rng = env_of(ctx), ctx.rng("inject:ACC-001")
    adv = env["advanced"]
    m = env["model"].filter(pl.col("group") != "other")
    lo, cap = env["lo"], env["cap"]
    after = m.filter(pl.col("terminated_at").is_between(lo + 5 * DAY, cap - 100 * DAY))
    before = m.filter(pl.col("hired_at").is_between(lo + 100 * DAY, cap))
    n = count(rate, after.height + before.height)
    if n <= 0:
        return []
    # only these users' links, not the whole (millions of rows) link table
    users = pl.concat([after["user_id"], before["user_id"]]).implode()
    by_time = env["links"].filter(pl.col("user_id").is_in(users)).sort("admit_at", "encounter_id")
    last = by_time.group_by("user_id", maintain_order=True).agg(mrn=pl.col("mrn").last())
    first = by_time.group_by("user_id", maintain_order=True).agg(mrn=pl.col("mrn").first())
    enc_mrns = env["enc"]["mrn"].to_numpy()
    parts = []
    for frame, mrns, sign, anchor, rng_days in (
        (after, last, 1, "terminated_at", (0, 3) if adv else (10, 91)),
        (before, first, -1, "hired_at", (1, 4) if adv else (10, 61)),
    ):
        if frame.is_empty():
            continue
        k = rng.integers(*rng_days, size=frame.height) * sign
        c = frame.select("user_id", anchor).join(
            mrns, on="user_id", how="left", maintain_order="left"
        )
        c = c.with_columns(
            mrn=pl.col("mrn").fill_null(
                pl.Series(enc_mrns[rng.integers(0, enc_mrns.size, c.height)])
            ),
            day=days_from(anchor, k),
            days=pl.Series(np.abs(k)),
            side=pl.lit("after termination" if sign > 0 else "before hire"),
        )
        parts.append(c.drop(anchor))
    if not parts:
        return []
    cand = in_shift(with_users(env, pl.concat(parts)), rng)
    # a same-day open that fell before the termination moment moves to the next day
    cand = (
        cand.join(
            env["model"].select("user_id", "terminated_at"), on="user_id", maintain_order="left"
        )
        .with_columns(
            accessed_at=pl.when(
                (pl.col("side") == "after termination")
                & (pl.col("accessed_at") < pl.col("terminated_at"))
            )
            .then(pl.col("accessed_at") + DAY)
            .otherwise(pl.col("accessed_at"))
        )
        .drop("terminated_at")
    )
    keep = ~pl.col("employed") & ~pl.col("vip") & pl.col("pair").is_null()
    ev = finish(ctx, env, cand, rng, keep, n)
    detail = (
        ev.select(pl.format("chart opened {} d {}", "days", "side")).to_series()
        if ev.height
        else ""
    )
    return emit(ctx, "ACC-001", ev, rng, detail)


def _pair_injector(ctx: GenContext, rate: float, rule_id: str, kind: str) -> list[Defect]:
    """Self (ACC-002) or household (ACC-003) access on a linked (user, patient) pair, on a
    working day of the user's employment, with no treatment relationship for ACC-003."""
    env = env_of(ctx)
    rng = ctx.rng(f"inject:{rule_id}")
    pairs = env["pairs"].filter(pl.col("kind") == kind)
    n = count(rate, pairs.height)
    if pairs.is_empty() or n <= 0:
        return []
    m = env["model"].filter(pl.col("group") != "other")
    c = pairs.join(
        m.select("user_id", "hired_at", "terminated_at"), on="user_id", maintain_order="left"
    )
    start = c.select(pl.max_horizontal(pl.col("hired_at") + DAY, pl.lit(env["lo"]))).to_series()
    end = c.select(
        pl.min_horizontal(pl.col("terminated_at").fill_null(env["cap"]), pl.lit(env["cap"])) - DAY
    ).to_series()
    span = np.maximum((end - start).dt.total_days().fill_null(0).to_numpy(), 1)
    off = (rng.random(c.height) * span).astype(np.int64)
    c = c.with_columns(
        day=(start.dt.date().cast(pl.Int32) + pl.Series(off, dtype=pl.Int32)).cast(pl.Date)
    )
    cand = in_shift(with_users(env, c.select("user_id", "mrn", "day", "via")), rng)
    keep = pl.col("employed") & ~pl.col("vip")
    if kind == "family":
        keep = keep & ~pl.col("treated")
    # advanced: households linked only by phone (not address) first, when there are any
    prefer = pl.col("via").str.contains("address") if env["advanced"] and kind == "family" else None
    ev = finish(ctx, env, cand, rng, keep, n, prefer=prefer, per_user=False)
    what = "own record" if kind == "self" else "household member's record"
    detail = ev.select(pl.format(f"{what}, linked on {{}}", "via")).to_series() if ev.height else ""
    return emit(ctx, rule_id, ev, rng, detail)


@injector("ACC-002", tables=("access_log",))
def inject_self_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A user opens the MPI record that links to their own roster identity."""
    return _pair_injector(ctx, rate, "ACC-002", "self")


@injector("ACC-003", tables=("access_log",))
def inject_family_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A user opens a household member's record (same surname + address/phone), untreated."""
    return _pair_injector(ctx, rate, "ACC-003", "family")
