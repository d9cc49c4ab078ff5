"""COD defect injectors for procedure lines (COD-010..012), planted in ``procedures``:
E/M levels above the specialty's pattern, procedures outside their encounter, units above
the per-day maximum.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import advanced, as_of, how_many, update
from himaudit.generate.registry import injector


@injector("COD-010", tables=("procedures",))
def em_upcoding(ctx: GenContext, rate: float) -> list[Defect]:
    """Providers who bill levels 4-5 far more often than their specialty's mix: +35 points
    (basic) or +22 points (advanced, on providers with more visits so it stays detectable)."""
    from himaudit.generate.tables.clinical import em_established_mix

    rng = ctx.rng("inject:COD-010")
    est = ["99211", "99212", "99213", "99214", "99215"]
    em = ctx.tables["procedures"].filter(pl.col("code").is_in(est))
    spec = ctx.tables["users"].select(pl.col("user_id").alias("provider_id"), "specialty")
    min_visits = 150 if advanced(ctx) else 60
    vol = em.group_by("provider_id").len().join(spec, on="provider_id", how="left")
    vol = vol.filter(pl.col("len") >= min_visits).sort("provider_id")
    n = how_many(rate, vol.height)
    chosen = vol[rng.permutation(vol.height)[:n]]
    mix, out, changes = em_established_mix(), [], []
    for pid, specialty in chosen.select("provider_id", "specialty").iter_rows():
        shares = np.array(mix.get(str(specialty), mix["default"]))
        high = min(0.95, shares[3:].sum() / shares.sum() + (0.22 if advanced(ctx) else 0.35))
        p = (
            np.array([0.03, 0.22, 0.75, 0.0, 0.0]) * (1 - high)
            + np.array([0, 0, 0, 0.6, 0.4]) * high
        )
        lines = em.filter(pl.col("provider_id") == pid).select("encounter_id", "seq")
        ctx.claim("procedures", [f"{e}:{s}" for e, s in lines.iter_rows()])
        codes = np.array(est)[rng.choice(5, lines.height, p=p / p.sum())]
        changes.append(lines.with_columns(pl.Series("code", codes)))
        out.append(
            Defect("COD-010", "users", str(pid), None, f"levels 4-5 on ~{high:.0%} of visits")
        )
    if changes:
        update(ctx, "procedures", pl.concat(changes), ["encounter_id", "seq"])
    return out


def _procedure_pick(ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float,
                    where: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:  # fmt: skip
    """Unclaimed procedure lines of distinct unclaimed encounters passing ``where`` (which
    joins the encounter columns), ``rate`` of them, claimed now. With a count, ``where`` and
    the claim checks run on a random oversample of the lines only (see
    ``dq.unclaimed_sample``); the whole frame is checked for a share or when it falls short."""
    if rate >= 1 and frame.height > 8 * (int(rate) * 4 + 64):
        rows = np.sort(rng.choice(frame.height, size=int(rate) * 4 + 64, replace=False))
        cand = _procedure_candidates(ctx, where(frame[rows]))
        if cand.height >= int(rate):
            return _procedure_claim(ctx, rng, cand, rate)
    return _procedure_claim(ctx, rng, _procedure_candidates(ctx, where(frame)), rate)


def _procedure_candidates(ctx: GenContext, frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(
        (pl.col("encounter_id") + ":" + pl.col("seq").cast(pl.String)).alias("key")
    )
    frame = frame.filter(~pl.col("key").is_in(list(ctx.claimed("procedures"))))
    frame = frame.filter(~pl.col("encounter_id").is_in(list(ctx.claimed("encounters"))))
    return frame.unique("encounter_id", keep="first", maintain_order=True).sort("key")


def _procedure_claim(
    ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float
) -> pl.DataFrame:
    frame = frame[rng.permutation(frame.height)[: how_many(rate, frame.height)]]
    ctx.claim("procedures", frame["key"].to_list())
    ctx.claim("encounters", frame["encounter_id"].to_list())
    return frame


@injector("COD-011", tables=("procedures",))
def procedure_outside_encounter(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-011")
    enc = ctx.tables["encounters"].select("encounter_id", "mrn", "admit_at", "discharge_at")

    def done_stays(lines: pl.DataFrame) -> pl.DataFrame:
        return lines.join(enc, on="encounter_id", maintain_order="left").filter(
            pl.col("discharge_at").is_not_null()
            & (pl.col("discharge_at") + timedelta(days=3) < as_of(ctx))
        )

    proc = ctx.tables["procedures"].select("encounter_id", "seq")
    cand = _procedure_pick(ctx, rng, proc, rate, done_stays)
    # basic: a day or two before admission; advanced: minutes before admission / after discharge
    mins = (
        rng.uniform(5, 30, cand.height) if advanced(ctx) else rng.uniform(24, 48, cand.height) * 60
    )
    after = (np.arange(cand.height) % 2 == 1) & advanced(ctx)
    moved = cand.with_columns(
        pl.when(pl.Series(after))
        .then(pl.col("discharge_at") + pl.duration(seconds=pl.Series((mins * 60).round())))
        .otherwise(pl.col("admit_at") - pl.duration(seconds=pl.Series((mins * 60).round())))
        .alias("performed_at")
    )
    update(
        ctx,
        "procedures",
        moved.select("encounter_id", "seq", "performed_at"),
        ["encounter_id", "seq"],
    )
    return [
        Defect("COD-011", "procedures", k, m, "performed outside the encounter")
        for k, m in cand.select("key", "mrn").iter_rows()
    ]


@injector("COD-012", tables=("procedures",))
def units_above_maximum(ctx: GenContext, rate: float) -> list[Defect]:
    from himaudit.paths import warehouse_dir

    rng = ctx.rng("inject:COD-012")
    limits = pl.read_csv(
        warehouse_dir() / "reference" / "procedure_codes.csv", schema_overrides={"code": pl.String}
    )
    limits = limits.filter(pl.col("code_system") == "HCPCS").select("code", "max_units_per_day")
    enc = ctx.tables["encounters"].select("encounter_id", "mrn")
    proc = (
        ctx.tables["procedures"]
        .select("encounter_id", "seq", "code")
        .join(limits, on="code", maintain_order="left")
    )
    cand = _procedure_pick(
        ctx, rng, proc, rate, lambda f: f.join(enc, on="encounter_id", maintain_order="left")
    )
    extra = np.ones(cand.height, int) if advanced(ctx) else rng.integers(2, 10, cand.height)
    new = cand.select(
        "encounter_id", "seq", (pl.col("max_units_per_day") + pl.Series(extra)).alias("units")
    )
    update(ctx, "procedures", new, ["encounter_id", "seq"])
    return [
        Defect("COD-012", "procedures", k, m, "units above the daily maximum")
        for k, m in cand.select("key", "mrn").iter_rows()
    ]
