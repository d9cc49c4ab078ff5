"""Clean retention data: ``legal_holds`` and ``record_inventory``.

Every patient with encounters has a medical record (plus, for some, imaging and billing
records) whose last activity is the patient's last discharge (billing: the last claim a few
weeks later). A record whose retention end (state schedule, minors until majority + N years,
whichever is later; DEFAULT row for states without one) has passed is destroyed 1–180 days
after it with a full certificate — unless a legal hold on the patient is in force then, in
which case destruction waits until the hold is released (RET-001..004 stay silent). Holds are
few: some still in force, some released.

``retention_ends`` computes the retention end in DuckDB with the same arithmetic as the RET
rules (``+ n * INTERVAL 1 YEAR`` clamps 29 February like the rules do), so generator and rule
can never disagree about a boundary; the RET injectors reuse it.
"""

from __future__ import annotations

from datetime import datetime, time

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.registry import table_builder

DAY_US = 86_400_000_000
PAPER_METHODS = ("shredding", "pulping", "incineration")
MEDIA_METHODS = ("degaussing", "overwriting", "shredding")
VENDORS = ("VND-SHRED-01", "VND-SHRED-02", "VND-MEDIA-01", "HIM-INHOUSE")

_RETENTION_SQL = """
WITH s AS (
    SELECT r.row_no, r.record_id, r.last_activity_at, b.birth_date,
           CASE WHEN s1.state IS NOT NULL THEN s1.adult_years WHEN s2.state IS NOT NULL
                THEN s2.adult_years WHEN s3.state IS NOT NULL THEN s3.adult_years
                ELSE s4.adult_years END AS adult_years,
           CASE WHEN s1.state IS NOT NULL THEN s1.minor_age_of_majority + s1.minor_years_after_majority
                WHEN s2.state IS NOT NULL THEN s2.minor_age_of_majority + s2.minor_years_after_majority
                WHEN s3.state IS NOT NULL THEN s3.minor_age_of_majority + s3.minor_years_after_majority
                ELSE s4.minor_age_of_majority + s4.minor_years_after_majority END AS minor_years
    FROM inv r
    LEFT JOIN births b ON b.mrn = r.mrn
    LEFT JOIN ref.retention_schedule s1
           ON s1.state = upper(trim(r.facility_state)) AND s1.record_type = r.record_type
    LEFT JOIN ref.retention_schedule s2
           ON s2.state = upper(trim(r.facility_state)) AND s2.record_type = '*'
    LEFT JOIN ref.retention_schedule s3 ON s3.state = 'DEFAULT' AND s3.record_type = r.record_type
    LEFT JOIN ref.retention_schedule s4 ON s4.state = 'DEFAULT' AND s4.record_type = '*'
), e AS (
    SELECT row_no, record_id,
           last_activity_at + adult_years * INTERVAL 1 YEAR AS adult_end,
           CASE WHEN CAST(birth_date AS TIMESTAMP) <= last_activity_at
                THEN CAST(birth_date AS TIMESTAMP) + minor_years * INTERVAL 1 YEAR END AS minor_end
    FROM s
)
SELECT row_no, record_id, adult_end,
       CASE WHEN minor_end IS NOT NULL AND minor_end > adult_end THEN minor_end
            ELSE adult_end END AS retention_end,
       minor_end IS NOT NULL AND minor_end > adult_end AS minor_rule
FROM e
ORDER BY row_no
"""


def retention_ends(inventory: pl.DataFrame, patients: pl.DataFrame) -> pl.DataFrame:
    """(record_id, adult_end, retention_end, minor_rule) per inventory row, in input order,
    computed exactly as the RET rules compute it (same schedule, same interval arithmetic)."""
    import duckdb

    from himaudit.reference.retention import build_retention_schedule

    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA ref")
        build_retention_schedule(con)
        inv = inventory.select(
            "record_id", "mrn", "facility_state", "record_type",
            pl.col("last_activity_at").cast(pl.Datetime("us")),
        )  # fmt: skip
        births = patients.group_by("mrn").agg(pl.col("birth_date").cast(pl.Date).max())
        con.register("inv", inv.with_row_index("row_no").to_arrow())
        con.register("births", births.to_arrow())
        out = con.sql(_RETENTION_SQL).pl()
    finally:
        con.close()
    # one output row per input row, in input order (row_no): no re-join needed
    return out.drop("row_no").with_columns(
        pl.col("retention_end", "adult_end").cast(pl.Datetime("us"))
    )


def _as_of(ctx: GenContext) -> datetime:
    return datetime.combine(ctx.profile.as_of, time.min)


def _last_activity(ctx: GenContext) -> pl.DataFrame:
    """Each patient's last discharge (computed once per run: both builders need it)."""
    if "ret:last_activity" in ctx.meta:
        return ctx.meta["ret:last_activity"]
    enc = ctx.tables["encounters"]
    ctx.meta["ret:last_activity"] = (
        enc.with_columns(
            at=pl.coalesce(pl.col("discharge_at"), pl.col("admit_at")).cast(pl.Datetime("us"))
        )
        .group_by("mrn")
        .agg(pl.col("at").max().alias("last_at"))
        .sort("mrn")
    )
    return ctx.meta["ret:last_activity"]


@table_builder("legal_holds", after=("patients", "encounters"))
def build_legal_holds(ctx: GenContext) -> pl.DataFrame:
    """A few litigation holds on patients seen here: started after their last visit, some
    still in force, some released."""
    rng = ctx.rng("legal_holds")
    last = _last_activity(ctx)
    as_of = _as_of(ctx)
    share = float(ctx.profile.mix.get("legal_hold_share", 0.003))  # of patients with visits
    n = min(last.height, max(3, round(last.height * share))) if last.height else 0
    pick = last[np.sort(rng.choice(last.height, size=n, replace=False))] if n else last.head(0)
    cap = int(pl.Series([as_of]).dt.epoch("us")[0]) - DAY_US
    lo = np.minimum(pick["last_at"].dt.epoch("us").to_numpy() + 30 * DAY_US, cap)
    start = (lo + (rng.random(n) * (cap - lo)).astype(np.int64)) // DAY_US * DAY_US
    start = start + 9 * 3_600_000_000
    release = start + rng.integers(60, 1200, size=n) * DAY_US
    released = (rng.random(n) < 0.55) & (release <= cap)
    ids = np.arange(1, n + 1)
    return pl.DataFrame(
        {
            "hold_id": [f"H{i:06d}" for i in ids],
            "mrn": pick["mrn"],
            "started_at": pl.Series(start).cast(pl.Datetime("us")),
            "released_at": pl.Series(np.where(released, release, 0)).cast(pl.Datetime("us")),
            "matter": [f"Litigation matter {i:04d}" for i in ids],
        }
    ).with_columns(pl.when(pl.Series(released)).then(pl.col("released_at")).alias("released_at"))


@table_builder("record_inventory", after=("patients", "encounters", "users", "legal_holds"))
def build_record_inventory(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("record_inventory")
    last = _last_activity(ctx)
    n = last.height
    states = list(ctx.profile.states) or ["DEFAULT"]
    state = np.array(states, dtype=object)[rng.integers(0, len(states), size=n)]
    base = last.with_columns(facility_state=pl.Series(state, dtype=pl.String))
    parts = [base.with_columns(record_type=pl.lit("medical_record"), last_activity_at="last_at")]
    imaging = base.filter(pl.Series(rng.random(n) < 0.35))
    parts.append(imaging.with_columns(record_type=pl.lit("imaging"), last_activity_at="last_at"))
    billing = base.filter(pl.Series(rng.random(n) < 0.5))
    claim_lag = pl.Series(rng.integers(5, 41, size=billing.height) * DAY_US).cast(pl.Duration("us"))
    parts.append(
        billing.with_columns(
            record_type=pl.lit("billing"), last_activity_at=pl.col("last_at") + claim_lag
        )
    )
    inv = pl.concat(parts).drop("last_at").sort("mrn", "record_type")
    ids = pl.int_range(1, inv.height + 1, eager=True).cast(pl.String).str.zfill(8)
    inv = inv.with_columns(record_id="R" + ids)
    ends = retention_ends(inv, ctx.tables["patients"])
    inv = pl.concat([inv, ends.select("retention_end")], how="horizontal")
    destroyed = _destruction_times(inv, ctx.tables["legal_holds"], _as_of(ctx), rng)
    return _with_certificates(ctx, inv.with_columns(destroyed_at=destroyed), rng)


def _destruction_times(
    inv: pl.DataFrame, holds: pl.DataFrame, as_of: datetime, rng: np.random.Generator
) -> pl.Series:
    """1–179 days after the retention end, at office hours (so always inside RET-003's
    180-day grace); pushed past a hold in force at that time and never destroyed under a
    hold still open; NULL when that lands after as_of."""
    n = inv.height
    known = inv["retention_end"].is_not_null().to_numpy()
    end = inv["retention_end"].dt.epoch("us").fill_null(0).to_numpy()
    lag = rng.integers(1, 180, size=n) * DAY_US
    office = rng.integers(9 * 3600, 16 * 3600, size=n) * 1_000_000
    when = (end + lag) // DAY_US * DAY_US + office
    h = (
        inv.select("mrn")
        .with_row_index("i")
        .join(holds.select("mrn", "started_at", "released_at"), on="mrn")
    )
    if h.height:
        idx = h["i"].to_numpy().astype(np.int64)
        hs = h["started_at"].dt.epoch("us").to_numpy()
        still_open = h["released_at"].is_null().to_numpy()
        hr = h["released_at"].dt.epoch("us").fill_null(0).to_numpy()
        under = known[idx] & (hs <= when[idx]) & (still_open | (hr > when[idx]))
        moved = idx[under & ~still_open]
        when[moved] = (hr[under & ~still_open] + lag[moved]) // DAY_US * DAY_US + office[moved]
        known[idx[under & still_open]] = False
    cap = int(pl.Series([as_of]).dt.epoch("us")[0])
    ok = known & (when <= cap)
    stamps = pl.Series("destroyed_at", when).cast(pl.Datetime("us"))
    return pl.select(pl.when(pl.Series(ok)).then(stamps)).to_series().alias("destroyed_at")


def _with_certificates(
    ctx: GenContext, inv: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """Full certificate of destruction: method suited to the medium, who, and a witness."""
    n = inv.height
    users = ctx.tables.get("users")
    him = (
        users.filter(pl.col("role").cast(pl.String).str.to_lowercase() == "him")["user_id"]
        if users is not None and "role" in users.columns
        else pl.Series([], dtype=pl.String)
    )
    witnesses = him.to_numpy() if him.len() else np.array(["HIM-SUPERVISOR"], dtype=object)
    paper = np.array(PAPER_METHODS, dtype=object)[rng.integers(0, 3, size=n)]
    media = np.array(MEDIA_METHODS, dtype=object)[rng.integers(0, 3, size=n)]
    method = np.where((inv["record_type"] == "imaging").to_numpy(), media, paper)
    by = np.array(VENDORS, dtype=object)[rng.integers(0, len(VENDORS), size=n)]
    wit = witnesses[rng.integers(0, len(witnesses), size=n)]
    gone = pl.col("destroyed_at").is_not_null()
    return inv.with_columns(
        destruction_method=pl.when(gone).then(pl.Series(method, dtype=pl.String)),
        destroyed_by=pl.when(gone).then(pl.Series(by, dtype=pl.String)),
        witness=pl.when(gone).then(pl.Series(wit, dtype=pl.String)),
    ).select(
        "record_id", "mrn", "facility_state", "record_type", "last_activity_at", "destroyed_at",
        "destruction_method", "destroyed_by", "witness",
    )  # fmt: skip
