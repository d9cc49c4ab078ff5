"""ACC-004 (VIP record opened with no treatment relationship), ACC-005 (any chart opened with
no treatment relationship or documented purpose) and ACC-009 (break-the-glass without a
reason) — single opens on sampled candidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector

from .common import DAY, PURPOSE_DAYS, count, emit, env_of, in_shift, with_users
from .sampling import (
    beyond_window,
    days_from,
    finish,
    random_days,
    random_staff,
    sample,
    stay_days,
)


def _promote_vips(ctx: GenContext, env: dict[str, Any], k: int, rng: np.random.Generator) -> None:
    """A small MPI may hold no VIP at all: flag k patients as VIP — only patients with no
    encounter (so no clean access exists to them) and no roster identity link."""
    pats = ctx.tables["patients"]
    seen = pl.concat([env["enc"]["mrn"], env["pairs"]["mrn"]]).unique().implode()
    pool = pats.filter(~pl.col("mrn").is_in(seen))["mrn"].sort()
    if pool.len() == 0:
        return
    chosen = pool.gather(rng.permutation(pool.len())[:k])
    ctx.tables["patients"] = pats.with_columns(
        is_vip=pl.when(pl.col("mrn").is_in(chosen.implode())).then(True).otherwise(pl.col("is_vip"))
    )
    env["vip"] = chosen


@injector("ACC-004", tables=("access_log", "patients"))
def inject_vip_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A VIP chart opened by staff with no treatment relationship (basic: anyone during the
    stay; advanced: a former treating clinician 9–30 days after the window closed)."""
    env, rng = env_of(ctx), ctx.rng("inject:ACC-004")
    vip_links = env["links"].filter(pl.col("mrn").is_in(env["vip"].implode()))
    if env["vip"].len() == 0:
        _promote_vips(ctx, env, int(rate) if rate >= 1 else 1, rng)
    n = count(rate, env["vip"].len())
    if env["vip"].len() == 0 or n <= 0:
        return []
    staff = ("clinical", "him", "billing", "registration")
    keep = pl.col("employed") & ~pl.col("treated") & pl.col("pair").is_null()
    if vip_links.is_empty():  # VIPs never seen here: a curious look on any day after birth
        pats = ctx.tables["patients"].filter(pl.col("mrn").is_in(env["vip"].implode()))
        base = sample(pats.select("mrn", "birth_date"), 8 * n, rng)
        day = random_days(rng, env["lo"] + DAY, env["cap"] - DAY, base.height)
        base = base.with_columns(day=day).filter(pl.col("day") > pl.col("birth_date"))
        users = random_staff(env, staff, base.height, rng)
        cand = in_shift(with_users(env, base.select("mrn", "day", user_id=users)), rng)
        ev = finish(ctx, env, cand, rng, keep, n)
        return emit(ctx, "ACC-004", ev, rng, "VIP chart opened with no treatment relationship")
    base = sample(vip_links, 8 * n, rng)
    if env["advanced"]:
        cand = base.select("user_id", "mrn", beyond_window(base, rng))
        why = "VIP chart opened by a former treating user outside the ± 7 d window"
    else:
        users = random_staff(env, staff, base.height, rng)
        cand = base.select("mrn", stay_days(base, rng)).with_columns(user_id=users)
        why = "VIP chart opened with no treatment relationship"
    cand = in_shift(with_users(env, cand), rng)
    ev = finish(ctx, env, cand, rng, keep, n)
    return emit(ctx, "ACC-004", ev, rng, why)


@injector("ACC-005", tables=("access_log",))
def inject_unexplained_access(ctx: GenContext, rate: float) -> list[Defect]:
    """Chart opened with no treatment relationship (basic: a clinician opens a patient in
    another unit during the stay); advanced: a former treating clinician 9–30 d outside the
    window, or operational staff on a patient with no encounter within ± 60 d."""
    env, rng = env_of(ctx), ctx.rng("inject:ACC-005")
    n = count(rate, env["model"].height)
    if n <= 0 or env["links"].is_empty():
        return []
    clean = ~pl.col("vip") & pl.col("pair").is_null() & pl.col("employed")
    if not env["advanced"]:
        base = sample(env["enc"], 8 * n, rng)
        users = random_staff(env, ("clinical",), base.height, rng)
        cand = base.select("mrn", stay_days(base, rng)).with_columns(user_id=users)
        cand = in_shift(with_users(env, cand), rng).with_columns(
            why=pl.lit("no treatment relationship")
        )
        ev = finish(ctx, env, cand, rng, clean & ~pl.col("treated"), n)
        return emit(ctx, "ACC-005", ev, rng, ev["why"] if ev.height else "")
    half = n - n // 2
    clinicians = env["model"].filter(pl.col("group") == "clinical")["user_id"].implode()
    base = sample(env["links"].filter(pl.col("user_id").is_in(clinicians)), 8 * half, rng)
    c1 = in_shift(with_users(env, base.select("user_id", "mrn", beyond_window(base, rng))), rng)
    c1 = c1.with_columns(why=pl.lit("former treating clinician, 9-30 d outside the window"))
    keep1 = clean & ~pl.col("treated") & (pl.col("group") == "clinical")
    ev1 = finish(ctx, env, c1, rng, keep1, half)
    last = env["enc"].group_by("mrn", maintain_order=True).agg(pl.col("discharge_at").max())
    base = sample(last, 8 * (n // 2), rng)
    k = rng.integers(PURPOSE_DAYS + 10, PURPOSE_DAYS + 400, size=base.height)
    users = random_staff(env, ("him", "billing", "registration"), base.height, rng)
    c2 = base.select("mrn", day=days_from("discharge_at", k)).with_columns(user_id=users)
    c2 = in_shift(with_users(env, c2), rng).with_columns(
        why=pl.lit("operational access, no encounter within 60 d")
    )
    ev2 = finish(ctx, env, c2, rng, clean & ~pl.col("purpose") & ~pl.col("treated"), n // 2)
    ev = pl.concat([ev1, ev2], how="diagonal_relaxed") if ev2.height else ev1
    return emit(ctx, "ACC-005", ev, rng, ev["why"] if ev.height else "")


@injector("ACC-009", tables=("access_log",))
def inject_btg_without_reason(ctx: GenContext, rate: float) -> list[Defect]:
    """A treating clinician breaks the glass without a reason (advanced: a placeholder)."""
    env, rng = env_of(ctx), ctx.rng("inject:ACC-009")
    clin = env["model"].filter(pl.col("group") == "clinical")
    links = env["links"].filter(pl.col("user_id").is_in(clin["user_id"].implode()))
    n = count(rate, clin.height)
    if links.is_empty() or n <= 0:
        return []
    base = sample(links, 30 * n, rng)
    cand = in_shift(with_users(env, base.select("user_id", "mrn", stay_days(base, rng))), rng)
    cand = cand.join(
        base.select("user_id", "mrn", "encounter_class").unique(
            ["user_id", "mrn"], maintain_order=True
        ),
        on=["user_id", "mrn"],
        how="left",
        maintain_order="left",
    )
    keep = pl.col("employed") & pl.col("treated") & (pl.col("pair").fill_null("") != "self")
    # emergency charts first: where break-the-glass happens in real life
    ev = finish(ctx, env, cand, rng, keep, n, prefer=pl.col("encounter_class") != "emergency")
    if ev.is_empty():
        return []
    fillers = ["n/a", "N/A", ".", "  ", "none", "test", "-"]
    reason = (
        [fillers[i] for i in rng.integers(0, len(fillers), ev.height)]
        if env["advanced"]
        else [None] * ev.height
    )
    ev = ev.with_columns(btg=pl.lit(True), btg_reason=pl.Series(reason, dtype=pl.String))
    return emit(ctx, "ACC-009", ev, rng, "break-the-glass with no usable reason")
