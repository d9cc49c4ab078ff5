"""Clean clinical documents (``notes``) for every encounter.

What a complete record holds (CATALOGUE.md clean invariants, 42 CFR 482.24(c)): each
inpatient stay an H&P within 24 h after admission (a few done 2-25 days before, with an
``hp_update`` within 24 h of admission), a daily progress note, sometimes a consult and
verbal orders, and a discharge summary created within 3 days of discharge; every surgical
procedure an operative note by its surgeon; every other visit a visit (progress) note. Each
note is signed by its author, a clinician employed at signing, within 7 days (verbal orders
within 24 h), and nothing is created or signed after the dataset's as-of.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.registry import table_builder
from himaudit.generate.tables.clinical import US_HOUR, encounter_frame, stay_window
from himaudit.paths import warehouse_dir

CLINICAL_ROLES = ("physician", "resident", "nurse", "therapist")
KINDS = ("history_physical", "hp_update", "progress", "consult", "verbal_order",
         "discharge_summary", "operative")  # fmt: skip
US_MIN = 60_000_000
PRE_ADMISSION_HP_SHARE = 0.05
CONSULT_SHARE = 0.3
VERBAL_ORDER_SHARE = 0.4
AMENDED_SHARE = 0.03
MAX_PROGRESS_NOTES = 20


@functools.cache
def surgical_codes() -> frozenset[tuple[str, str]]:
    codes = pl.read_csv(warehouse_dir() / "reference" / "procedure_codes.csv")
    return frozenset(codes.filter(pl.col("surgical")).select("code_system", "code").iter_rows())


@functools.cache
def surgical_roots() -> frozenset[str]:
    path = warehouse_dir() / "reference" / "procedure_pcs_surgical_roots.csv"
    return frozenset(
        pl.read_csv(path, schema_overrides={"root_operation": pl.String})[
            "root_operation"
        ].to_list()
    )


def is_surgical() -> pl.Expr:
    """Same definition as DOC-008: listed as surgical, or a Medical-and-Surgical ICD-10-PCS
    code whose root operation is surgical."""
    listed = pl.concat_str("code_system", pl.lit("|"), "code").is_in(
        [f"{s}|{c}" for s, c in surgical_codes()]
    )
    pcs = (
        (pl.col("code_system") == "ICD-10-PCS")
        & (pl.col("code").str.slice(0, 1) == "0")
        & pl.col("code").str.slice(2, 1).is_in(list(surgical_roots()))
    )
    return listed | pcs


def user_index(ctx: GenContext, ids: pl.Series) -> np.ndarray:
    """Row numbers in ``users`` of the given user ids (-1 when unknown): authors are handled
    as integers until the end, which keeps millions of notes out of Python strings."""
    users = ctx.tables["users"].select(pl.col("user_id").alias("u")).with_row_index("ui")
    users = users.unique("u", keep="first")
    joined = ids.alias("u").to_frame().join(users, on="u", how="left", maintain_order="left")
    return joined["ui"].cast(pl.Int64).fill_null(-1).to_numpy()


def _sign_delay(rng: np.random.Generator, cap_hours: np.ndarray) -> np.ndarray:
    """Authentication delay: log-normal around a few hours, a long tail, capped per note."""
    hours = np.minimum(rng.lognormal(np.log(5.0), 1.1, len(cap_hours)), cap_hours)
    return (np.maximum(hours, 0.05) * US_HOUR).astype(np.int64)


@table_builder("notes", after=("encounters", "patients", "users", "care_team", "procedures"))
def build_notes(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("notes")
    enc = encounter_frame(ctx)
    start, end = stay_window(ctx, enc)
    span = end - start
    setting = enc["setting"].to_numpy()
    inpatient_class = (enc["encounter_class"] == "inpatient").to_numpy()
    discharged = enc["discharge_at"].is_not_null().to_numpy()
    attending = user_index(ctx, enc["attending_id"])
    rows, kinds, authors, created, caps = [], [], [], [], []

    def add(r: np.ndarray, kind: str, at: np.ndarray, who: np.ndarray, cap: float = 160) -> None:
        rows.append(r)
        kinds.append(np.full(len(r), KINDS.index(kind), dtype=np.int8))
        authors.append(who)
        created.append(at.astype(np.int64))
        caps.append(np.full(len(r), cap))

    stays = np.flatnonzero(inpatient_class)
    pre = rng.random(len(stays)) < PRE_ADMISSION_HP_SHARE
    hp_at = start[stays] + (rng.uniform(0.25, 20, len(stays)) * US_HOUR).astype(np.int64)
    hp_at[pre] = start[stays[pre]] - (rng.uniform(2, 25, pre.sum()) * 24 * US_HOUR).astype(np.int64)
    add(stays, "history_physical", hp_at, attending[stays])
    upd = stays[pre]
    add(upd, "hp_update", start[upd] + (rng.uniform(0.25, 20, len(upd)) * US_HOUR), attending[upd])

    days = np.minimum(span[stays] // (24 * US_HOUR), MAX_PROGRESS_NOTES)
    prow = np.repeat(stays, days)
    day_no = np.arange(len(prow)) - np.repeat(np.cumsum(days) - days, days)
    pat = start[prow] + day_no * 24 * US_HOUR + (rng.uniform(1, 23, len(prow)) * US_HOUR)
    add(prow, "progress", pat, attending[prow])

    cons = stays[(rng.random(len(stays)) < CONSULT_SHARE) & (span[stays] > 6 * US_HOUR)]
    cat = start[cons] + (rng.random(len(cons)) * (span[cons] - 2 * US_HOUR)).astype(np.int64)
    add(cons, "consult", cat, _consultants(ctx, rng, enc, cons))

    vo_enc = np.flatnonzero(
        (setting == "inpatient") | (setting == "emergency")
    )  # orders given by phone
    vo_enc = vo_enc[rng.random(len(vo_enc)) < VERBAL_ORDER_SHARE]
    vat = start[vo_enc] + (rng.random(len(vo_enc)) * span[vo_enc]).astype(np.int64)
    add(vo_enc, "verbal_order", vat, attending[vo_enc], cap=23)

    ds = stays[discharged[stays]]
    add(ds, "discharge_summary", end[ds] + (rng.uniform(0, 71.9, len(ds)) * US_HOUR), attending[ds])

    visits = np.flatnonzero(~inpatient_class)
    vis_at = start[visits] + (rng.random(len(visits)) * np.maximum(span[visits], US_MIN))
    add(visits, "progress", vis_at, attending[visits])

    frame = pl.DataFrame(
        {
            "row": np.concatenate(rows),
            "kind": np.concatenate(kinds),
            "author": np.concatenate(authors).astype(np.int64),
            "created_us": np.concatenate(created),
            "cap": np.concatenate(caps),
        }
    )
    frame = pl.concat([frame, _operative(ctx, rng, enc)], how="vertical_relaxed")
    return _finish(ctx, rng, enc, frame)


def _consultants(
    ctx: GenContext, rng: np.random.Generator, enc: pl.DataFrame, rows: np.ndarray
) -> np.ndarray:
    """A consulting clinician from the care team when it names one, else a staff physician."""
    stable = user_index(ctx, pl.Series(stable_physicians(ctx), dtype=pl.String))
    who = stable[rng.integers(0, len(stable), len(rows))]
    care = ctx.tables.get("care_team")
    if care is not None and care.height:
        consult = care.filter(pl.col("care_role").str.contains("consult")).unique(
            "encounter_id", keep="first", maintain_order=True
        )
        found = (
            enc[rows]
            .select("encounter_id")
            .join(consult, on="encounter_id", how="left", maintain_order="left")["user_id"]
        )
        found_idx = user_index(ctx, found)
        who = np.where(found_idx >= 0, found_idx, who)
    return who


def _operative(ctx: GenContext, rng: np.random.Generator, enc: pl.DataFrame) -> pl.DataFrame:
    """One operative note per surgical procedure, by the operating provider, 0.5-3 h after."""
    proc = ctx.tables["procedures"].filter(is_surgical())
    ids = enc.select("encounter_id").with_row_index("row")
    proc = proc.join(ids, on="encounter_id", how="inner")
    at = proc["performed_at"].dt.epoch("us").to_numpy() + (
        rng.uniform(0.5, 3, proc.height) * US_HOUR
    ).astype(np.int64)
    return pl.DataFrame(
        {
            "row": proc["row"].cast(pl.Int64),
            "kind": np.int8(KINDS.index("operative")),
            "author": user_index(ctx, proc["provider_id"]),
            "created_us": at,
            "cap": 160.0,
        }
    )


def stable_physicians(ctx: GenContext) -> np.ndarray:
    """Physicians employed from before the window until after as-of: safe authors for any
    note (used when the natural author was not yet hired or already gone)."""
    first = np.datetime64(ctx.profile.start, "us") - np.timedelta64(60, "D")
    last = np.datetime64(ctx.profile.as_of, "us")
    users = ctx.tables["users"]
    ok = users.filter(
        (pl.col("role") == "physician")
        & (pl.col("hired_at") <= first)
        & (pl.col("terminated_at").is_null() | (pl.col("terminated_at") > last))
    )
    if ok.height == 0:  # tiny rosters: any clinician present at as-of
        ok = users.filter(pl.col("role").is_in(CLINICAL_ROLES) & pl.col("terminated_at").is_null())
    return ok["user_id"].sort().to_numpy()


def _finish(
    ctx: GenContext, rng: np.random.Generator, enc: pl.DataFrame, frame: pl.DataFrame
) -> pl.DataFrame:
    """Sign every note, keep authors clinical and employed at signing, stop at as-of."""
    as_of = int(np.datetime64(ctx.profile.as_of, "us").astype(np.int64)) - US_MIN
    frame = frame.with_columns(pl.col("created_us") // 1_000_000 * 1_000_000).filter(
        pl.col("created_us") <= as_of
    )
    n = frame.height
    created = frame["created_us"].to_numpy()
    signed = created + _sign_delay(rng, frame["cap"].to_numpy())
    late = signed > as_of
    signed[late] = created[late] + ((as_of - created[late]) * rng.random(late.sum())).astype(
        np.int64
    )
    signed = signed // 1_000_000 * 1_000_000
    users = ctx.tables["users"]
    big = np.iinfo(np.int64).max
    author = frame["author"].to_numpy().copy()
    known = author >= 0
    at = np.where(known, author, 0)
    term = np.where(known, users["terminated_at"].dt.epoch("us").fill_null(big).to_numpy()[at], big)
    hired = np.where(known, users["hired_at"].dt.epoch("us").fill_null(big).to_numpy()[at], big)
    clinical = known & users["role"].is_in(CLINICAL_ROLES).fill_null(False).to_numpy()[at]
    # leaving soon after writing: sign before the last day instead
    shrink = clinical & (hired <= created) & (term <= signed) & (term > created + 2 * US_MIN)
    signed[shrink] = (
        created[shrink] + (term[shrink] - created[shrink]) // 2 // 1_000_000 * 1_000_000
    )
    bad = ~clinical | (hired > created) | (term <= signed)
    stable = user_index(ctx, pl.Series(stable_physicians(ctx), dtype=pl.String))
    author[bad] = stable[rng.integers(0, len(stable), bad.sum())]
    row = frame["row"].to_numpy()
    order = np.lexsort((frame["kind"].to_numpy(), created, row))
    status = pl.Series(["signed", "amended"]).gather(
        (rng.random(n) < AMENDED_SHARE).astype(np.int8)
    )
    author_id = users["user_id"].gather(author[order])
    out = pl.DataFrame(
        {
            "encounter_id": enc["encounter_id"].gather(row[order]),
            "mrn": enc["mrn"].gather(row[order]),
            "note_type": pl.Series(KINDS).gather(frame["kind"].to_numpy()[order]),
            "author_id": author_id,
            "created_at": pl.from_epoch(pl.Series(created[order]), time_unit="us"),
            "signed_at": pl.from_epoch(pl.Series(signed[order]), time_unit="us"),
            "status": status,
            "signer_id": author_id,
        }
    )
    return out.with_columns(
        ("N" + pl.int_range(1, out.height + 1).cast(pl.String).str.zfill(10)).alias("note_id")
    )
