"""DOC defect injectors: documentation-integrity defects planted in ``notes``.

Each injector takes whole encounters (claimed in the shared ``encounters`` namespace, so two
DOC/COD injectors never touch one record) and changes only what its rule looks at. A record
made incomplete (missing or unsigned document) on a stay discharged more than 30 days before
as-of is also delinquent, so those injectors write the DOC-009 answer row too.
``difficulty = "advanced"`` plants borderline timings (24 h 5 min, 48 h 5 min, minutes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector

H = timedelta(hours=1)
CLINICAL = ("physician", "resident", "nurse", "therapist")
DELINQUENT_DAYS = 30


def as_of(ctx: GenContext) -> datetime:
    return datetime.combine(ctx.profile.as_of, datetime.min.time())


def advanced(ctx: GenContext) -> bool:
    return ctx.profile.mix.get("difficulty", "basic") == "advanced"


def how_many(rate: float, eligible: int) -> int:
    n = int(rate) if rate >= 1 else max(1, round(rate * eligible))
    return min(n, eligible)


def pick(ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float,
         by: str = "encounter_id",
         where: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> pl.DataFrame:  # fmt: skip
    """Rows of ``frame`` (passing ``where``) on encounters nobody claimed yet, one per
    encounter, ``rate`` of them (a share, or a count when >= 1), claimed now.

    With a count, a random oversample of a few times the count is drawn first and only it
    goes through ``where`` (joins, filters), the claim check and the de-duplication, so 400
    defects on a 7M-row table never join or de-duplicate the whole table. The exact
    whole-frame path is taken for a share (it needs the eligible count) or when the
    oversample falls short."""
    if rate >= 1 and frame.height > 8 * (int(rate) * 4 + 64):
        want = int(rate)
        rows = np.sort(rng.choice(frame.height, size=want * 4 + 64, replace=False))
        cand = _unclaimed(ctx, frame[rows], by, where)
        if cand.height >= want:
            chosen = cand[np.sort(rng.permutation(cand.height)[:want])]
            ctx.claim("encounters", chosen[by].to_list())
            return chosen
    frame = _unclaimed(ctx, frame, by, where)
    if frame.height == 0:
        return frame
    # Gather only the chosen rows (in their original order), never the whole shuffled frame.
    rows = np.sort(rng.permutation(frame.height)[: how_many(rate, frame.height)])
    chosen = frame[rows]
    ctx.claim("encounters", chosen[by].to_list())
    return chosen


def _unclaimed(
    ctx: GenContext,
    frame: pl.DataFrame,
    by: str,
    where: Callable[[pl.DataFrame], pl.DataFrame] | None,
) -> pl.DataFrame:
    if where is not None:
        frame = where(frame)
    frame = frame.filter(~pl.col(by).is_in(list(ctx.claimed("encounters"))))
    return frame.unique(by, keep="first", maintain_order=True)


def employed_through(ctx: GenContext, until: datetime) -> pl.Expr:
    """Author never terminated before ``until`` (keeps re-timed signatures valid)."""
    users = ctx.tables["users"]
    gone = users.filter(pl.col("terminated_at").is_not_null() & (pl.col("terminated_at") <= until))
    return ~pl.col("author_id").is_in(gone["user_id"].to_list())


def update(ctx: GenContext, table: str, changes: pl.DataFrame, on: str | list[str]) -> None:
    """Overwrite the given columns (NULLs included) of the rows matched on ``on``.

    Scales with the number of changes, not the table: the key columns alone are probed for
    the matched row positions, and only the changed columns are rewritten (a scatter), so a
    handful of defects on a 7M-row table costs milliseconds and no second copy of the table."""
    ctx.tables[table] = update_frame(ctx.tables[table], changes, on)


def update_frame(base: pl.DataFrame, changes: pl.DataFrame, on: str | list[str]) -> pl.DataFrame:
    on = [on] if isinstance(on, str) else list(on)
    if changes.height == 0:
        return base
    changes = changes.with_columns(pl.col(c).cast(base.schema[c]) for c in changes.columns)
    hit = (
        base.select(on)
        .with_row_index("_row")
        .join(changes.select(on).with_row_index("_chg"), on=on, how="inner")
    )
    if hit.height == 0:
        return base
    rows, src = hit["_row"], hit["_chg"]
    return base.with_columns(
        base[c].clone().scatter(rows, changes[c].gather(src))
        for c in changes.columns
        if c not in on
    )


def set_notes(ctx: GenContext, ids: list[str], **values: object) -> None:
    """Set the same values on several notes in one pass."""
    if ids:
        frame = pl.DataFrame({"note_id": ids}).with_columns(
            pl.lit(v).alias(c) for c, v in values.items()
        )
        update(ctx, "notes", frame, "note_id")


def drop_notes(ctx: GenContext, ids: list[str]) -> None:
    ctx.tables["notes"] = ctx.tables["notes"].filter(~pl.col("note_id").is_in(ids))


def stays(ctx: GenContext) -> pl.DataFrame:
    return ctx.tables["encounters"].filter(pl.col("encounter_class") == "inpatient")


def delinquent_too(ctx: GenContext, encounter_ids: list[str], why: str) -> list[Defect]:
    """DOC-009 rows for the incomplete stays that are already past the 30-day deadline."""
    late = stays(ctx).filter(
        pl.col("encounter_id").is_in(encounter_ids)
        & pl.col("discharge_at").is_not_null()
        & (pl.col("discharge_at") + timedelta(days=DELINQUENT_DAYS) < as_of(ctx))
    )
    return [
        Defect("DOC-009", "encounters", e, m, why)
        for e, m in late.select("encounter_id", "mrn").iter_rows()
    ]


def _notes_of(ctx: GenContext, types: tuple[str, ...]) -> pl.DataFrame:
    return ctx.tables["notes"].filter(pl.col("note_type").is_in(types))


@injector("DOC-001", tables=("notes",))
def unsigned_note(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-001")
    cand = pick(ctx, rng, _notes_of(ctx, ("progress", "consult", "history_physical")), rate)
    variant = np.arange(cand.height) % 3 if advanced(ctx) else np.zeros(cand.height, int)
    ids = cand["note_id"].to_numpy()
    # plainly unsigned / signed time but still a draft / signed and final but no signer
    set_notes(ctx, list(ids[variant == 0]), signed_at=None, signer_id=None, status="draft")
    set_notes(ctx, list(ids[variant == 1]), status="draft")
    set_notes(ctx, list(ids[variant == 2]), signer_id=None)
    out = [
        Defect("DOC-001", "notes", n, m, "unsigned note")
        for n, m in cand.select("note_id", "mrn").iter_rows()
    ]
    return out + delinquent_too(ctx, cand["encounter_id"].to_list(), "unsigned note")


@injector("DOC-002", tables=("notes",))
def signed_before_created(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-002")
    users = ctx.tables["users"].select(pl.col("user_id").alias("author_id"), "hired_at")
    cand = pick(
        ctx,
        rng,
        _notes_of(ctx, ("progress", "consult")),
        rate,
        where=lambda f: f.join(users, on="author_id", maintain_order="left").filter(
            pl.col("created_at") > pl.col("hired_at") + timedelta(days=4)
        ),
    )
    n = cand.height
    early = rng.uniform(1, 6, n) * 60 if advanced(ctx) else rng.uniform(2, 72, n) * 3600
    changes = cand.select(
        "note_id",
        (pl.col("created_at") - pl.duration(seconds=pl.Series(early.round()))).alias("signed_at"),
    )
    update(ctx, "notes", changes, "note_id")
    return [
        Defect("DOC-002", "notes", nid, mrn, "signed before creation")
        for nid, mrn in cand.select("note_id", "mrn").iter_rows()
    ]


def _defects(rule: str, table: str, frame: pl.DataFrame, key: str, detail: str) -> list[Defect]:
    return [Defect(rule, table, k, m, detail) for k, m in frame.select(key, "mrn").iter_rows()]


def _staff(ctx: GenContext, roles: tuple[str, ...]) -> np.ndarray:
    """Users of these roles employed from before the window until after as-of."""
    start = datetime.combine(ctx.profile.start, datetime.min.time()) - timedelta(days=60)
    users = ctx.tables["users"].filter(
        pl.col("role").is_in(roles)
        & (pl.col("hired_at") <= start)
        & (pl.col("terminated_at").is_null() | (pl.col("terminated_at") > as_of(ctx)))
    )
    return users["user_id"].sort().to_numpy()


@injector("DOC-003", tables=("notes",))
def signed_by_other(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-003")
    docs = ctx.tables["users"].filter(pl.col("role") == "physician")["user_id"].to_list()
    cand = pick(ctx, rng, _notes_of(ctx, ("progress", "consult", "discharge_summary"))
                .filter(pl.col("author_id").is_in(docs)), rate)  # fmt: skip
    # advanced: a nurse on the unit signs the physician's note (looks like routine co-sign)
    pool = _staff(ctx, ("nurse",) if advanced(ctx) else ("physician",))
    if len(pool) < 2 or cand.height == 0:
        return []
    signer = pool[rng.integers(0, len(pool), cand.height)]
    clash = signer == cand["author_id"].to_numpy()
    signer[clash] = pool[(np.searchsorted(pool, signer[clash]) + 1) % len(pool)]
    update(
        ctx, "notes", cand.select("note_id").with_columns(pl.Series("signer_id", signer)), "note_id"
    )
    return _defects("DOC-003", "notes", cand, "note_id", "signed by another user")


@injector("DOC-004", tables=("notes",))
def signed_when_not_employed(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-004")
    gap = timedelta(minutes=5) if advanced(ctx) else timedelta(days=3)
    users = ctx.tables["users"].select(pl.col("user_id").alias("author_id"), "terminated_at")
    # only notes of users who leave: a short list, so the whole-table path stays cheap
    users = users.filter(
        pl.col("terminated_at").is_not_null()
        & (pl.col("terminated_at") + gap + timedelta(days=2) < as_of(ctx))
    )
    cand = (
        _notes_of(ctx, ("progress", "consult"))
        .join(users, on="author_id", maintain_order="left")
        .filter(pl.col("terminated_at") > pl.col("created_at"))
    )
    cand = pick(ctx, rng, cand, rate)
    update(
        ctx,
        "notes",
        cand.select("note_id", (pl.col("terminated_at") + gap).alias("signed_at")),
        "note_id",
    )
    return _defects("DOC-004", "notes", cand, "note_id", "signed after the signer's termination")


@injector("DOC-005", tables=("notes",))
def non_clinical_author(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-005")
    pool = _staff(ctx, ("registration", "billing") if not advanced(ctx) else ("him", "admin"))
    cand = pick(ctx, rng, _notes_of(ctx, ("progress",)), rate)
    if len(pool) == 0 or cand.height == 0:
        return []
    who = pool[rng.integers(0, len(pool), cand.height)]
    changes = cand.select("note_id").with_columns(
        pl.Series("author_id", who), pl.Series("signer_id", who)
    )
    update(ctx, "notes", changes, "note_id")
    return _defects("DOC-005", "notes", cand, "note_id", "authored by a non-clinical user")


@injector("DOC-006", tables=("notes",))
def hp_missing_or_late(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-006")
    enc = (
        stays(ctx)
        .filter(pl.col("admit_at") + timedelta(days=5) < as_of(ctx))
        .select("encounter_id", "mrn", "admit_at")
    )
    hp = _notes_of(ctx, ("history_physical",)).select(
        "note_id", "encounter_id", "author_id", "created_at"
    )
    hired = ctx.tables["users"].select(pl.col("user_id").alias("author_id"), "hired_at")
    cand = (
        enc.join(hp, on="encounter_id")
        .join(hired, on="author_id")
        .filter(
            pl.col("created_at") >= pl.col("admit_at"),
            pl.col("hired_at") < pl.col("admit_at") - timedelta(days=30),  # stale H&P still hired
            employed_through(ctx, as_of(ctx)),
        )
    )
    cand = pick(ctx, rng, cand, rate)
    variant = np.arange(cand.height) % 3
    cand = cand.with_columns(pl.Series("variant", variant))
    updates = _notes_of(ctx, ("hp_update",)).filter(
        pl.col("encounter_id").is_in(cand["encounter_id"].to_list())
    )
    drop_notes(ctx, updates["note_id"].to_list())
    missing = cand.filter(pl.col("variant") == 0)
    drop_notes(ctx, missing["note_id"].to_list())
    # late: basic 30-70 h after admission, advanced 24 h 5 min; stale: 2-25 d before, no update
    late_h = (
        np.full(cand.height, 24 + 5 / 60) if advanced(ctx) else rng.uniform(30, 70, cand.height)
    )
    stale_d = rng.uniform(2, 25, cand.height)
    moved = cand.with_columns(
        pl.when(pl.col("variant") == 1)
        .then(pl.col("admit_at") + pl.duration(seconds=pl.Series((late_h * 3600).round())))
        .otherwise(pl.col("admit_at") - pl.duration(seconds=pl.Series((stale_d * 86400).round())))
        .alias("created_at")
    ).filter(pl.col("variant") > 0)
    moved = moved.with_columns((pl.col("created_at") + timedelta(hours=2)).alias("signed_at"))
    update(ctx, "notes", moved.select("note_id", "created_at", "signed_at"), "note_id")
    return _defects("DOC-006", "encounters", cand, "encounter_id", "H&P missing, late or stale") + (
        delinquent_too(ctx, missing["encounter_id"].to_list(), "H&P missing")
    )


@injector("DOC-007", tables=("notes",))
def discharge_summary_missing(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-007")
    ds = _notes_of(ctx, ("discharge_summary",)).select("note_id", "encounter_id")
    enc = stays(ctx).filter(pl.col("discharge_at") + timedelta(days=4) < as_of(ctx))
    cand = pick(ctx, rng, enc.join(ds, on="encounter_id"), rate)
    drop_notes(ctx, cand["note_id"].to_list())
    return _defects("DOC-007", "encounters", cand, "encounter_id", "discharge summary missing") + (
        delinquent_too(ctx, cand["encounter_id"].to_list(), "discharge summary missing")
    )


@injector("DOC-008", tables=("notes",))
def operative_note_missing(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-008")
    op = _notes_of(ctx, ("operative",)).filter(
        pl.col("created_at") + timedelta(days=2) < as_of(ctx)
    )
    cand = pick(ctx, rng, op.select("encounter_id", "mrn"), rate)
    ids = op.filter(pl.col("encounter_id").is_in(cand["encounter_id"].to_list()))[
        "note_id"
    ].to_list()
    drop_notes(ctx, ids)
    return _defects("DOC-008", "encounters", cand, "encounter_id", "operative note missing") + (
        delinquent_too(ctx, cand["encounter_id"].to_list(), "operative note missing")
    )


@injector("DOC-009", tables=("notes",))
def delinquent_record(ctx: GenContext, rate: float) -> list[Defect]:
    """An unsigned progress note on a stay past its completion deadline: delinquent (DOC-009)
    and, unavoidably, an unsigned note (DOC-001). Advanced: discharged 30 d + a few hours ago."""
    rng = ctx.rng("inject:DOC-009")
    now = as_of(ctx)
    lo, hi = (
        (timedelta(days=30, hours=2), timedelta(days=30, hours=20))
        if advanced(ctx)
        else (timedelta(days=45), timedelta(days=3650))
    )
    enc = (
        stays(ctx)
        .filter((pl.col("discharge_at") < now - lo) & (pl.col("discharge_at") > now - hi))
        .select("encounter_id")
    )
    notes = _notes_of(ctx, ("progress",)).join(enc, on="encounter_id", how="semi",
                                               maintain_order="left")  # fmt: skip
    cand = pick(ctx, rng, notes, rate)
    set_notes(ctx, cand["note_id"].to_list(), signed_at=None, signer_id=None, status="draft")
    return _defects(
        "DOC-009", "encounters", cand, "encounter_id", "record incomplete past 30 days"
    ) + (_defects("DOC-001", "notes", cand, "note_id", "unsigned note on a delinquent record"))


@injector("DOC-010", tables=("notes",))
def verbal_order_late(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-010")
    vo = _notes_of(ctx, ("verbal_order",)).filter(
        (pl.col("created_at") + timedelta(days=6) < as_of(ctx)) & employed_through(ctx, as_of(ctx))
    )
    cand = pick(ctx, rng, vo, rate)
    hours = (
        np.full(cand.height, 48 + 5 / 60) if advanced(ctx) else rng.uniform(50, 120, cand.height)
    )
    changes = cand.select(
        "note_id",
        (pl.col("created_at") + pl.duration(seconds=pl.Series((hours * 3600).round()))).alias(
            "signed_at"
        ),
    )
    update(ctx, "notes", changes, "note_id")
    return _defects("DOC-010", "notes", cand, "note_id", "verbal order authenticated late")


@injector("DOC-011", tables=("notes",))
def entry_missing_time_or_author(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:DOC-011")
    cand = pick(ctx, rng, _notes_of(ctx, ("progress",)), rate)
    ids = cand["note_id"].to_numpy()
    half = np.arange(len(ids)) % 2 == 1 if advanced(ctx) else np.zeros(len(ids), bool)
    set_notes(ctx, list(ids[~half]), author_id=None)
    set_notes(ctx, list(ids[half]), created_at=None)
    return _defects("DOC-011", "notes", cand, "note_id", "entry missing date/time or author")
