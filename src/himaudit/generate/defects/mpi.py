"""MPI defect injectors: duplicates (MPI-002/003), reused MRNs (MPI-001), overlays
(MPI-010) and implausible demographics (MPI-011).

Every planted row is *new* (a duplicate registration, a second row under an old MRN, a
pre-registration with bad dates) and has no encounters, notes or access events, so no other
rule can fire on it: the original patient's clinical history stays consistent with its own
MPI row. Overlays change only ``encounters.reg_*`` on adults aged 25–45 at admission, so
their age band (MCE adult / maternity) never moves and no coding rule is tripped.
The registration-error model the duplicates are made with is mpi_registration.py.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import update_frame
from himaudit.generate.defects.mpi_registration import fresh_mrns, plant_duplicates, reuse_mrns
from himaudit.generate.registry import injector


def _count(rate: float, eligible: int) -> int:
    return min(eligible, int(rate) if rate >= 1 else int(round(rate * eligible)))


def _eligible(ctx: GenContext, rng: np.random.Generator, n: int) -> list[str]:
    """Random unclaimed MRNs (a patient gets at most one MPI defect)."""
    mrns = ctx.tables["patients"]["mrn"].unique().sort().to_numpy()
    taken = ctx.claimed("patients")
    pool: list[str] = []
    for m in rng.permutation(mrns):  # stop at n: never walk the whole MPI in Python
        if len(pool) >= n:
            break
        if m not in taken:
            pool.append(m)
    return ctx.claim("patients", pool)


def _advanced(ctx: GenContext) -> bool:
    return ctx.profile.mix.get("difficulty", "basic") == "advanced"


@injector("MPI-001", tables=("patients",))
def same_mrn_twice(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:MPI-001")
    pats = ctx.tables["patients"]
    chosen = _eligible(ctx, rng, _count(rate, pats.height))
    extra = reuse_mrns(pats, chosen, rng, as_of=ctx.profile.as_of, advanced=_advanced(ctx))
    ctx.tables["patients"] = pl.concat([pats, extra], how="vertical_relaxed")
    return [
        Defect("MPI-001", "patients", m, m, "second MPI row under the same MRN") for m in chosen
    ]


def _duplicates(ctx: GenContext, rule_id: str, rate: float, copies: int) -> list[Defect]:
    rng = ctx.rng(f"inject:{rule_id}")
    pats = ctx.tables["patients"]
    persons = _count(rate, pats.height)
    chosen = _eligible(ctx, rng, persons)
    rows, groups = plant_duplicates(
        pats,
        chosen,
        rng,
        ctx.pools,
        copies=copies,
        advanced=_advanced(ctx),
        as_of=ctx.profile.as_of,
    )
    ctx.tables["patients"] = pl.concat([pats, rows], how="vertical_relaxed")
    ctx.claim("patients", rows["mrn"].to_list())  # a planted row is never another's original
    defects = []
    for group, how in groups:
        mrns = sorted(group)
        for i, a in enumerate(mrns):
            for b in mrns[i + 1 :]:
                defects.append(Defect("MPI-002", "patients", f"{a}|{b}", a, how))
        if len(mrns) >= 3:
            defects.append(Defect("MPI-003", "patients", "|".join(mrns), mrns[0], how))
    return defects


@injector("MPI-002", tables=("patients",))
def duplicate_patients(ctx: GenContext, rate: float) -> list[Defect]:
    return _duplicates(ctx, "MPI-002", rate, copies=1)


@injector("MPI-003", tables=("patients",))
def duplicate_clusters(ctx: GenContext, rate: float) -> list[Defect]:
    return _duplicates(ctx, "MPI-003", rate, copies=2)


@injector("MPI-010", tables=("encounters",))
def overlays(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:MPI-010")
    enc = ctx.tables["encounters"]
    pats = (
        ctx.tables["patients"]
        .select("mrn", "birth_date")
        .unique("mrn", keep="first", maintain_order=True)
    )
    age = (
        enc.join(pats, on="mrn")
        .with_columns(
            ((pl.col("admit_at").dt.date() - pl.col("birth_date")).dt.total_days() / 365.25).alias(
                "age"
            )
        )
        .filter(pl.col("age").is_between(25, 45) & pl.col("reg_birth_date").is_not_null())
    )
    candidates = (
        age.select("mrn")
        .unique()
        .filter(~pl.col("mrn").is_in(list(ctx.claimed("patients"))))
        .sort("mrn")["mrn"]
        .to_numpy()
    )
    n = _count(rate, ctx.tables["patients"].height)
    chosen = ctx.claim("patients", list(rng.permutation(candidates)[:n]))
    adv = _advanced(ctx)
    # One encounter per chosen MRN is someone else's visit: a different birth date.
    picks = age.filter(pl.col("mrn").is_in(chosen)).sort("encounter_id")
    picks = picks.group_by("mrn", maintain_order=True).agg(pl.col("encounter_id").first())
    shift_days = {}
    for eid in picks["encounter_id"].to_list():
        if adv:  # subtle: same year, a few weeks off (looks like a typo, is not one)
            shift_days[eid] = int(rng.choice([-1, 1]) * rng.integers(10, 60))
        else:
            shift_days[eid] = int(
                rng.choice([-1, 1]) * rng.integers(2, 5) * 365 + rng.integers(1, 200)
            )
    shift = pl.DataFrame(
        {"encounter_id": list(shift_days), "shift": list(shift_days.values())},
        schema={"encounter_id": pl.String, "shift": pl.Int64},
    )
    moved = (
        enc.select("encounter_id", "reg_birth_date")
        .join(shift, on="encounter_id", how="inner")
        .select(
            "encounter_id",
            (pl.col("reg_birth_date") + pl.duration(days=pl.col("shift"))).alias("reg_birth_date"),
        )
    )
    ctx.tables["encounters"] = update_frame(enc, moved, "encounter_id")
    return [
        Defect("MPI-010", "patients", m, m, f"encounter {e} registered with another birth date")
        for m, e in zip(picks["mrn"].to_list(), picks["encounter_id"].to_list(), strict=True)
    ]


@injector("MPI-011", tables=("patients",))
def implausible_demographics(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:MPI-011")
    pats = ctx.tables["patients"]
    n = _count(rate, pats.height)
    as_of = ctx.profile.as_of
    mrns = fresh_mrns(pats, rng, n)
    kinds = rng.choice(["future_birth", "too_old", "death_before_birth"], n)
    births, deaths = [], []
    for kind in kinds:
        if kind == "future_birth":
            births.append(as_of + timedelta(days=int(rng.integers(1, 400))))
            deaths.append(None)
        elif kind == "too_old":
            births.append(as_of - timedelta(days=int(rng.integers(121 * 366, 135 * 365))))
            deaths.append(None)
        else:
            b = as_of - timedelta(days=int(rng.integers(20 * 365, 80 * 365)))
            births.append(b)
            deaths.append(b - timedelta(days=int(rng.integers(1, 3000))))
    sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    place = ctx.pools.places(rng, n)
    rows = pl.DataFrame(
        {
            "mrn": mrns,
            "facility_id": [ctx.profile.facility_id] * n,
            "first_name": list(ctx.pools.first_names(rng, sex)),
            "last_name": list(ctx.pools.last_names(rng, n)),
            "sex": list(sex),
            "birth_date": births,
            "death_date": deaths,
            "address": list(ctx.pools.addresses(rng, n)),
        },
        schema_overrides={"death_date": pl.Date, "birth_date": pl.Date},
    ).with_columns(place)
    ctx.tables["patients"] = pl.concat([pats, rows], how="diagonal_relaxed")
    ctx.claim("patients", mrns)
    return [Defect("MPI-011", "patients", m, m, str(k)) for m, k in zip(mrns, kinds, strict=True)]
