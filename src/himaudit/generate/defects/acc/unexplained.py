"""ACC-005 (chart opened with no treatment relationship or documented purpose) and ACC-009
(break-the-glass without a reason) — single opens on sampled candidates."""

from __future__ import annotations

import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector

from .common import PURPOSE_DAYS, count, emit, env_of, in_shift, with_users
from .sampling import beyond_window, days_from, finish, random_staff, sample, stay_days


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
