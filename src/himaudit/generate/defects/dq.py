"""DQ defect injectors: orphan keys, duplicate keys, impossible or future dates.

Each injector plants a defect only its own rule sees. Where changing an existing record
would ripple into other families (moving an admission changes H&P timing, access
explanations, procedure windows), the injector *adds* a small self-contained record instead:
an outpatient visit with no notes, no attending and no codes, or a copy of a clean note.
Records touched are claimed in the ``encounters`` namespace shared with DOC/COD injectors.
``difficulty = "advanced"`` plants the borderline cases (a minute before birth, the first
minute of the day after death, one minute past the as-of).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import pick
from himaudit.generate.registry import injector

H = timedelta(hours=1)
D = timedelta(days=1)


def as_of(ctx: GenContext) -> datetime:
    return datetime.combine(ctx.profile.as_of, datetime.min.time())


def advanced(ctx: GenContext) -> bool:
    return ctx.profile.mix.get("difficulty", "basic") == "advanced"


def how_many(rate: float, eligible: int) -> int:
    n = int(rate) if rate >= 1 else max(1, round(rate * eligible))
    return min(n, eligible)


def fresh_ids(
    existing: pl.Series, prefix: str, width: int, n: int, rng: np.random.Generator
) -> list[str]:
    """New ids in the dataset's format that collide with nothing already present.

    Candidates are drawn in batches and checked against ``existing`` in one vectorised
    probe (never a Python set of millions of ids)."""
    existing = existing.cast(pl.String)
    out: list[str] = []
    while len(out) < n:
        draws = rng.integers(0, 10 ** (width - 1), size=2 * (n - len(out)) + 8)
        cand = pl.Series([f"{prefix}9{int(x):0{width - 1}d}" for x in draws], dtype=pl.String)
        # Probe the big column against the few candidates (hashing the small side).
        seen = set(out) | set(existing.filter(existing.is_in(cand.implode())).to_list())
        for c in cand.to_list():
            if c not in seen and len(out) < n:
                seen.add(c)
                out.append(c)
    return out


def add_rows(ctx: GenContext, table: str, rows: list[dict[str, Any]]) -> None:
    """Append rows to a built table; unlisted columns are NULL, types follow the table."""
    base = ctx.tables[table]
    extra = pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in base.columns},
        schema=base.schema,
        strict=False,
    )
    ctx.tables[table] = pl.concat([base, extra], how="vertical")


# Rows on distinct unclaimed encounters, sampled without scanning the whole frame (see doc.pick).
unclaimed_sample = pick


def new_visit(enc_id: str, mrn: str, admit: datetime, facility: Any = None) -> dict[str, Any]:
    """A bare outpatient visit: no attending, notes or codes, so no DOC/COD/ACC rule
    reads anything new from it."""
    return {
        "encounter_id": enc_id, "mrn": mrn, "facility_id": facility,
        "encounter_class": "outpatient", "admit_at": admit, "discharge_at": admit + H,
    }  # fmt: skip


def _patients(
    ctx: GenContext, rng: np.random.Generator, rate: float, where: pl.Expr
) -> pl.DataFrame:
    pats = ctx.tables["patients"].filter(where).unique("mrn", keep="first", maintain_order=True)
    pats = pats.filter(~pl.col("mrn").is_in(list(ctx.claimed("patients"))))
    if pats.height == 0:
        return pats
    pats = pats[rng.permutation(pats.height)[: how_many(rate, pats.height)]]
    ctx.claim("patients", pats["mrn"].to_list())
    return pats


def _visits_for(ctx: GenContext, rule_id: str, pats: pl.DataFrame, admit_of: Any) -> list[Defect]:
    rng = ctx.rng("ids:" + rule_id)
    enc = ctx.tables["encounters"]
    ids = fresh_ids(enc["encounter_id"], "E", 9, pats.height, rng)
    rows, defects = [], []
    for enc_id, p in zip(ids, pats.iter_rows(named=True), strict=True):
        admit = admit_of(p)
        rows.append(new_visit(enc_id, p["mrn"], admit, p.get("facility_id")))
        defects.append(Defect(rule_id, "encounters", enc_id, p["mrn"], f"admit_at {admit}"))
    if rows:
        add_rows(ctx, "encounters", rows)
    return defects


@injector("DQ-010", tables=("encounters",))
def orphan_encounter(ctx: GenContext, rate: float) -> list[Defect]:
    """A visit registered under an MRN the MPI has never seen."""
    rng = ctx.rng("inject:DQ-010")
    n = how_many(rate, ctx.tables["encounters"].height)
    mrns = fresh_ids(ctx.tables["patients"]["mrn"], "M", 8, n, rng)
    start = as_of(ctx) - timedelta(days=300)
    fake = pl.DataFrame({"mrn": mrns, "facility_id": [None] * n})
    return _visits_for(
        ctx, "DQ-010", fake, lambda p: start + timedelta(days=int(rng.integers(0, 280)), hours=10)
    )


def _signed_progress(ctx: GenContext, cols: tuple[str, ...]) -> pl.DataFrame:
    """note_id and encounter_id (plus ``cols``) of clean signed progress notes, in table
    order: narrow, so sampling never shuffles millions of wide rows."""
    return (
        ctx.tables["notes"]
        .filter((pl.col("note_type") == "progress") & (pl.col("status") == "signed"))
        .select("note_id", "encounter_id", *cols)
    )


def _full_notes(ctx: GenContext, chosen: pl.DataFrame) -> pl.DataFrame:
    """Whole note rows of the chosen notes (in the chosen order) plus chosen's extra columns."""
    notes = ctx.tables["notes"].filter(pl.col("note_id").is_in(chosen["note_id"].implode()))
    extra = [c for c in chosen.columns if c not in notes.columns]
    return chosen.select("note_id", *extra).join(notes, on="note_id", maintain_order="left")


@injector("DQ-011", tables=("notes",))
def orphan_note(ctx: GenContext, rate: float) -> list[Defect]:
    """A copy of a clean, signed progress note filed under an encounter that does not exist."""
    rng = ctx.rng("inject:DQ-011")
    chosen = _full_notes(
        ctx, unclaimed_sample(ctx, rng, _signed_progress(ctx, ()), rate, "encounter_id")
    )
    note_ids = fresh_ids(ctx.tables["notes"]["note_id"], "N", 10, chosen.height, rng)
    enc_ids = fresh_ids(ctx.tables["encounters"]["encounter_id"], "E", 9, chosen.height, rng)
    rows, defects = [], []
    for note_id, enc_id, row in zip(note_ids, enc_ids, chosen.iter_rows(named=True), strict=True):
        rows.append({**row, "note_id": note_id, "encounter_id": enc_id})
        defects.append(Defect("DQ-011", "notes", note_id, row["mrn"], f"encounter {enc_id}"))
    if rows:
        add_rows(ctx, "notes", rows)
    return defects


@injector("DQ-012", tables=("diagnoses",))
def orphan_diagnosis(ctx: GenContext, rate: float) -> list[Defect]:
    """A principal diagnosis line (copied from a clean one) on a non-existent encounter."""
    rng = ctx.rng("inject:DQ-012")
    principal = ctx.tables["diagnoses"].filter(pl.col("seq") == 1)
    chosen = unclaimed_sample(ctx, rng, principal, rate, "encounter_id")
    enc_ids = fresh_ids(ctx.tables["encounters"]["encounter_id"], "E", 9, chosen.height, rng)
    rows = [
        {**r, "encounter_id": e} for e, r in zip(enc_ids, chosen.iter_rows(named=True), strict=True)
    ]
    if rows:
        add_rows(ctx, "diagnoses", rows)
    return [Defect("DQ-012", "diagnoses", f"{e}:1", None, "no such encounter") for e in enc_ids]


@injector("DQ-013", tables=("access_log",))
def unknown_user_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A chart view during a patient's visit by an account missing from the HR roster."""
    rng = ctx.rng("inject:DQ-013")
    visits = ctx.tables["encounters"].filter(pl.col("admit_at") < as_of(ctx) - D)
    chosen = unclaimed_sample(ctx, rng, visits, rate, "encounter_id")
    users = fresh_ids(ctx.tables["users"]["user_id"], "U", 6, chosen.height, rng)
    events = [f"A9{int(x):010d}" for x in rng.choice(10**10, size=chosen.height, replace=False)]
    rows = [
        {"event_id": ev, "user_id": u, "mrn": r["mrn"], "accessed_at": r["admit_at"] + H,
         "action": "view", "break_the_glass": False}
        for ev, u, r in zip(events, users, chosen.iter_rows(named=True), strict=True)
    ]  # fmt: skip
    if rows:
        schema = {"event_id": pl.String, "user_id": pl.String, "mrn": pl.String,
                  "accessed_at": pl.Datetime("us"), "action": pl.String,
                  "break_the_glass": pl.Boolean}  # fmt: skip
        ctx.append("access_log", pl.DataFrame(rows, schema=schema))
    return [Defect("DQ-013", "access_log", r["event_id"], r["mrn"], r["user_id"]) for r in rows]


@injector("DQ-020", tables=("care_team",))
def duplicate_key(ctx: GenContext, rate: float) -> list[Defect]:
    """An exact duplicate care-team row (a double-posted interface message)."""
    rng = ctx.rng("inject:DQ-020")
    chosen = unclaimed_sample(ctx, rng, ctx.tables["care_team"], rate, "encounter_id")
    if chosen.height:
        ctx.tables["care_team"] = pl.concat([ctx.tables["care_team"], chosen], how="vertical")
    return [
        Defect("DQ-020", "care_team", f"{r['encounter_id']}:{r['user_id']}", None, "2 copies")
        for r in chosen.iter_rows(named=True)
    ]


@injector("DQ-030", tables=("encounters",))
def discharge_before_admit(ctx: GenContext, rate: float) -> list[Defect]:
    """Swap a same-day visit's discharge to before its admission (no procedures on it, so
    COD's procedure-window rule is not disturbed)."""
    rng = ctx.rng("inject:DQ-030")
    enc = ctx.tables["encounters"]
    with_proc = ctx.tables.get("procedures", pl.DataFrame({"encounter_id": []}))
    short = enc.filter(
        pl.col("encounter_class").is_in(["outpatient", "ambulatory", "emergency"])
        & pl.col("discharge_at").is_not_null()
        & (pl.col("discharge_at") - pl.col("admit_at") < D)
    ).join(
        with_proc.select(pl.col("encounter_id").cast(pl.String)),
        on="encounter_id",
        how="anti",
        maintain_order="left",
    )
    chosen = unclaimed_sample(ctx, rng, short, rate, "encounter_id")
    gap = timedelta(minutes=1) if advanced(ctx) else 2 * H
    ids = chosen["encounter_id"].to_list()
    ctx.tables["encounters"] = enc.with_columns(
        pl.when(pl.col("encounter_id").is_in(ids))
        .then(pl.col("admit_at") - gap)
        .otherwise(pl.col("discharge_at"))
        .alias("discharge_at")
    )
    return [Defect("DQ-030", "encounters", e, m, "discharge before admit")
            for e, m in zip(ids, chosen["mrn"].to_list(), strict=True)]  # fmt: skip


@injector("DQ-031", tables=("encounters",))
def visit_before_birth(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DQ-031")
    pats = _patients(ctx, rng, rate, pl.col("birth_date").is_not_null())
    early = timedelta(minutes=1) if advanced(ctx) else timedelta(days=40)

    def admit(p: dict[str, Any]) -> datetime:
        return datetime.combine(p["birth_date"], datetime.min.time()) - early

    return _visits_for(ctx, "DQ-031", pats, admit)


@injector("DQ-032", tables=("encounters",))
def visit_after_death(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DQ-032")
    limit = ctx.profile.as_of - timedelta(days=10)
    pats = _patients(
        ctx, rng, rate, pl.col("death_date").is_not_null() & (pl.col("death_date") < limit)
    )
    late = D if advanced(ctx) else 3 * D + 9 * H

    def admit(p: dict[str, Any]) -> datetime:
        return datetime.combine(p["death_date"], datetime.min.time()) + late

    return _visits_for(ctx, "DQ-032", pats, admit)


@injector("DQ-033", tables=("encounters",))
def future_visit(ctx: GenContext, rate: float) -> list[Defect]:
    """A visit dated after the as-of (a mistyped year)."""
    rng = ctx.rng("inject:DQ-033")
    pats = _patients(ctx, rng, rate, pl.col("death_date").is_null())
    ahead = timedelta(minutes=1) if advanced(ctx) else timedelta(days=365)
    return _visits_for(ctx, "DQ-033", pats, lambda p: as_of(ctx) + ahead)


@injector("DQ-034", tables=("notes",))
def misfiled_note(ctx: GenContext, rate: float) -> list[Defect]:
    """A copy of a clean signed note dated long after its encounter's discharge."""
    rng = ctx.rng("inject:DQ-034")
    after = timedelta(days=60, minutes=5) if advanced(ctx) else timedelta(days=95)
    enc = ctx.tables["encounters"].select("encounter_id", "discharge_at")
    users = ctx.tables["users"].select(pl.col("user_id").alias("author_id"), "terminated_at")

    def eligible(notes: pl.DataFrame) -> pl.DataFrame:
        return (
            notes.join(enc, on="encounter_id", maintain_order="left")
            .join(users, on="author_id", how="left", maintain_order="left")
            .filter(pl.col("discharge_at").is_not_null())
            .with_columns((pl.col("discharge_at") + after).alias("_created"))
            .filter(pl.col("_created") + D < as_of(ctx))
            .filter(
                pl.col("terminated_at").is_null()
                | (pl.col("terminated_at") > pl.col("_created") + D)
            )
        )

    progress = _signed_progress(ctx, ("author_id",))
    chosen = unclaimed_sample(ctx, rng, progress, rate, "encounter_id", eligible)
    chosen = _full_notes(ctx, chosen.select("note_id", "_created"))
    note_ids = fresh_ids(ctx.tables["notes"]["note_id"], "N", 10, chosen.height, rng)
    cols = ctx.tables["notes"].columns
    rows, defects = [], []
    for note_id, r in zip(note_ids, chosen.iter_rows(named=True), strict=True):
        row = {c: r[c] for c in cols}
        row.update(note_id=note_id, created_at=r["_created"], signed_at=r["_created"] + H)
        rows.append(row)
        defects.append(Defect("DQ-034", "notes", note_id, r["mrn"], "created after discharge"))
    if rows:
        add_rows(ctx, "notes", rows)
    return defects
