"""Retention and destruction defects (RET-001..005), each tripping exactly its own rule.

Injectors work on patients with no legal hold and no other RET defect (claims on
``ret_mrn``), and never destroy a record of a patient whose chart other injectors have
already opened (appended access events), so RET-005 stays silent where it should.
``advanced`` difficulty: destroyed one day before the retention end, or between the adult end
and a minor's later end; a hold that started the day before / ended an hour after the
destruction; kept one day past the grace period; blank rather than empty certificate fields;
a chart opened an hour after its destruction by an HIM user inside their own shift.
"""

from __future__ import annotations

from datetime import datetime, time

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.roi import advanced, count, update_rows
from himaudit.generate.registry import injector
from himaudit.generate.tables.retention import DAY_US, retention_ends

HOUR = 3_600_000_000
YEAR = 365 * DAY_US


def _as_of_us(ctx: GenContext) -> int:
    as_of = datetime.combine(ctx.profile.as_of, time.min)
    return int((as_of - datetime(1970, 1, 1)).total_seconds()) * 1_000_000


def _ts(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us"))


def _records(ctx: GenContext) -> pl.DataFrame:
    """Inventory + retention ends, restricted to unclaimed records of eligible patients:
    no legal hold, no other RET defect, no appended (injected) access events."""
    inv = ctx.tables["record_inventory"]
    if "ret:static" not in ctx.meta:
        # computed once: RET injectors only update destruction columns in place (row order
        # kept), never last activity, state, type or birth dates
        ends = retention_ends(inv, ctx.tables["patients"])
        last = inv.group_by("mrn").agg(mrn_last=pl.col("last_activity_at").max())
        static = pl.concat([inv.select("record_id", "mrn", "record_type"), ends.drop("record_id")],
                           how="horizontal")  # fmt: skip
        static = static.join(last, on="mrn", how="left", maintain_order="left")
        ctx.meta["ret:static"] = static.with_columns(
            pl.col(c).dt.epoch("us").alias(c + "_us")
            for c in ("retention_end", "adult_end", "mrn_last")
        )
    current = inv.select("destroyed_at", "destruction_method", "destroyed_by", "witness")
    busy = set(ctx.tables["legal_holds"]["mrn"].to_list()) | ctx.claimed("ret_mrn")
    for df in ctx.extra.get("access_log", []):
        busy |= set(df["mrn"].to_list())
    return (
        pl.concat([ctx.meta["ret:static"], current], how="horizontal")
        .filter(
            pl.col("retention_end").is_not_null()
            & ~pl.col("mrn").is_in(pl.Series(sorted(busy), dtype=pl.String).implode())
            & ~pl.col("record_id").is_in(
                pl.Series(sorted(ctx.claimed("record_inventory")), dtype=pl.String).implode()
            )
        )
        .with_columns(destroyed_at_us=pl.col("destroyed_at").dt.epoch("us"))
    )


def _take(ctx: GenContext, rng: np.random.Generator, pool: pl.DataFrame, n: int) -> pl.DataFrame:
    """n records of distinct patients, claimed (records and patients)."""
    pool = pool.unique("mrn", keep="first", maintain_order=True)
    pick = pool[np.sort(rng.choice(pool.height, size=min(n, pool.height), replace=False))]
    ctx.claim("record_inventory", pick["record_id"].to_list())
    ctx.claim("ret_mrn", pick["mrn"].to_list())
    return pick


def _defects(rule: str, pick: pl.DataFrame, details: list[str]) -> list[Defect]:
    return [
        Defect(rule, "record_inventory", r, m, d)
        for r, m, d in zip(pick["record_id"], pick["mrn"], details, strict=True)
    ]


def _destroy(ctx: GenContext, pick: pl.DataFrame, when: np.ndarray) -> None:
    """Set destruction times with a complete certificate (keeps an existing one)."""
    changes = pick.select(
        "record_id",
        destroyed_at=_ts(when),
        destruction_method=pl.col("destruction_method").fill_null("shredding"),
        destroyed_by=pl.col("destroyed_by").fill_null("VND-SHRED-01"),
        witness=pl.col("witness").fill_null("HIM-SUPERVISOR"),
    )
    ctx.tables["record_inventory"] = update_rows(
        ctx.tables["record_inventory"], "record_id", changes
    )


@injector("RET-001", tables=("record_inventory",))
def destroyed_too_early(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:RET-001")
    as_of = _as_of_us(ctx)
    pool = _records(ctx)
    # at least 2 years after the patient's last activity: past every clean access/disclosure
    floor = pl.col("mrn_last_us") + 2 * YEAR
    n = count(rate, pool.height)
    details: list[str] = []
    if advanced(ctx):
        minor = pool.filter(pl.col("minor_rule") & (pl.col("adult_end_us") > floor)
                            & (pl.col("adult_end_us") < as_of - 4 * DAY_US)
                            & (pl.col("retention_end_us") > pl.col("adult_end_us") + 4 * DAY_US))  # fmt: skip
        m = _take(ctx, rng, minor, (n + 1) // 2)
        due = pool.filter((pl.col("retention_end_us") < as_of) & ~pl.col("minor_rule"))
        due = due.filter(~pl.col("mrn").is_in(m["mrn"].implode()))
        d = _take(ctx, rng, due, n - m.height)
        gap = np.minimum(m["retention_end_us"].to_numpy(), as_of) - m["adult_end_us"].to_numpy()
        when_m = m["adult_end_us"].to_numpy() + (rng.random(m.height) * gap / 2).astype(np.int64)
        _destroy(ctx, m, when_m + DAY_US)
        _destroy(ctx, d, d["retention_end_us"].to_numpy() - DAY_US)
        return _defects("RET-001", m, ["minor record destroyed after the adult period only"] * m.height) + _defects(
            "RET-001", d, ["destroyed one day before the retention end"] * d.height
        )  # fmt: skip
    early = pool.filter(
        pl.col("destroyed_at").is_null() & (floor < pl.col("retention_end_us").clip(None, as_of) - 30 * DAY_US)
    )  # fmt: skip
    pick = _take(ctx, rng, early, n)
    lo = pick["mrn_last_us"].to_numpy() + 2 * YEAR
    hi = np.minimum(pick["retention_end_us"].to_numpy(), as_of) - DAY_US
    day = (lo + rng.random(pick.height) * (hi - lo)).astype(np.int64) // DAY_US * DAY_US
    _destroy(ctx, pick, day + 10 * HOUR - DAY_US)
    details = ["destroyed before the retention end"] * pick.height
    return _defects("RET-001", pick, details)


@injector("RET-002", tables=("record_inventory", "legal_holds"))
def destroyed_under_hold(ctx: GenContext, rate: float) -> list[Defect]:
    """A hold placed on a patient whose record was destroyed while it was in force; every
    record of that patient destroyed inside the hold is a defect."""
    rng = ctx.rng("inject:RET-002")
    as_of = _as_of_us(ctx)
    pool = _records(ctx).filter(pl.col("destroyed_at").is_not_null())
    pick = _take(ctx, rng, pool, count(rate, pool.height))
    dest = pick["destroyed_at_us"].to_numpy()
    if advanced(ctx):
        start = dest - DAY_US
        release = dest + HOUR
    else:
        start = dest - rng.integers(30, 400, size=pick.height) * DAY_US
        release = dest + rng.integers(30, 300, size=pick.height) * DAY_US
    open_ = release > as_of
    if not advanced(ctx):  # half of the basic holds are still in force
        open_ |= rng.random(pick.height) < 0.5
    holds = ctx.tables["legal_holds"]
    ids = [f"H9{i:05d}" for i in range(1, pick.height + 1)]
    new = pl.DataFrame(
        {
            "hold_id": ids,
            "mrn": pick["mrn"],
            "started_at": _ts(start),
            "released_at": _ts(release),
            "matter": [f"Litigation matter 9{i:03d}" for i in range(1, pick.height + 1)],
        }
    ).with_columns(released_at=pl.when(pl.Series(~open_)).then(pl.col("released_at")))
    ctx.tables["legal_holds"] = pl.concat(
        [holds, new.select(holds.columns)], how="vertical_relaxed"
    )
    inv = ctx.tables["record_inventory"]
    hit = inv.join(new.select("mrn", "started_at", h_end="released_at"), on="mrn").filter(
        pl.col("destroyed_at").is_not_null()
        & (pl.col("started_at") <= pl.col("destroyed_at"))
        & (pl.col("h_end").is_null() | (pl.col("h_end") > pl.col("destroyed_at")))
    ).sort("record_id")  # fmt: skip
    ctx.claim("record_inventory", hit["record_id"].to_list())
    return _defects("RET-002", hit, ["destroyed while under a legal hold"] * hit.height)


@injector("RET-003", tables=("record_inventory",))
def over_retention(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:RET-003")
    as_of = _as_of_us(ctx)
    grace = 180 * DAY_US
    pool = _records(ctx).filter(
        pl.col("destroyed_at").is_not_null() & (pl.col("retention_end_us") + grace + DAY_US < as_of)
    )
    n = count(rate, pool.height)
    if advanced(ctx):  # just past the grace period first
        pool = pool.sort("retention_end_us", "record_id", descending=[True, False]).head(
            max(n, 1) * 3
        )
    pick = _take(ctx, rng, pool, n)
    changes = pick.select(
        "record_id",
        destroyed_at=pl.lit(None, pl.Datetime("us")),
        destruction_method=pl.lit(None, pl.String),
        destroyed_by=pl.lit(None, pl.String),
        witness=pl.lit(None, pl.String),
    )
    ctx.tables["record_inventory"] = update_rows(
        ctx.tables["record_inventory"], "record_id", changes
    )
    return _defects("RET-003", pick, ["kept past its retention end without a hold"] * pick.height)


@injector("RET-004", tables=("record_inventory",))
def incomplete_certificate(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:RET-004")
    pool = _records(ctx).filter(pl.col("destroyed_at").is_not_null())
    pick = _take(ctx, rng, pool, count(rate, pool.height))
    fields = ("destruction_method", "destroyed_by", "witness")
    blank = "  " if advanced(ctx) else None
    which = rng.integers(0, 3, size=pick.height)
    changes = pick.select(
        "record_id",
        *[pl.when(pl.Series(which == i)).then(pl.lit(blank, pl.String)).otherwise(pl.col(f)).alias(f)
          for i, f in enumerate(fields)],
    )  # fmt: skip
    ctx.tables["record_inventory"] = update_rows(
        ctx.tables["record_inventory"], "record_id", changes
    )
    return _defects("RET-004", pick, [f"certificate lacks {fields[i]}" for i in which])


@injector("RET-005", tables=("record_inventory", "access_log", "disclosures"))
def accessed_after_destruction(ctx: GenContext, rate: float) -> list[Defect]:
    """A chart opened (HIM user, inside their shift) or released after the patient's
    medical record was destroyed; half of each kind."""
    rng = ctx.rng("inject:RET-005")
    as_of = _as_of_us(ctx)
    inv = ctx.tables["record_inventory"].filter(pl.col("record_type") == "medical_record")
    gone = inv.group_by("mrn").agg(
        all_gone=pl.col("destroyed_at").is_not_null().all(), last_gone=pl.col("destroyed_at").max()
    )
    vip = ctx.tables["patients"].filter(pl.col("is_vip").fill_null(False))["mrn"]
    pool = (
        _records(ctx)
        .filter(pl.col("record_type") == "medical_record")
        .join(gone.filter("all_gone"), on="mrn")
        .filter(
            (pl.col("last_gone").dt.epoch("us") < as_of - 70 * DAY_US)
            & ~pl.col("mrn").is_in(vip.implode())
        )
    )
    pick = _take(ctx, rng, pool, count(rate, pool.height))
    gone_at = pick["last_gone"].dt.epoch("us").to_numpy()
    him = _him_staff(ctx)
    as_access = (np.arange(pick.height) % 2 == 0) & (him.height > 0)
    out = _disclose_after(ctx, rng, pick.filter(pl.Series(~as_access)), gone_at[~as_access])
    return out + _access_after(ctx, rng, pick.filter(pl.Series(as_access)), gone_at[as_access], him)


def _him_staff(ctx: GenContext) -> pl.DataFrame:
    """HIM users with their personal shift (the ACC builder's user model, deterministic)."""
    try:
        from himaudit.generate.tables.access import user_model
    except ImportError:  # no access-log builder: RET-005 plants disclosures only
        return pl.DataFrame()
    return user_model(ctx).filter(pl.col("group") == "him").sort("user_id")


def _disclose_after(
    ctx: GenContext, rng: np.random.Generator, pick: pl.DataFrame, gone_at: np.ndarray
) -> list[Defect]:
    as_of = _as_of_us(ctx)
    lag = DAY_US if advanced(ctx) else rng.integers(30, 366, size=pick.height) * DAY_US
    released = np.minimum(gone_at + lag, as_of - DAY_US)
    requested = released - rng.integers(1, 10, size=pick.height) * DAY_US
    d = ctx.tables["disclosures"]
    ids = [f"D98{i:06d}" for i in range(1, pick.height + 1)]
    new = pl.DataFrame(
        {
            "disclosure_id": ids,
            "mrn": pick["mrn"],
            "requester_type": "provider",
            "purpose": "treatment",
            "requested_at": _ts(requested),
            "released_at": _ts(released),
            "categories": "diagnoses;discharge_summary",
            "recipient": "PRV-0998",
        }
    )
    ctx.tables["disclosures"] = pl.concat([d, new], how="diagonal_relaxed").select(d.columns)
    return [
        Defect("RET-005", "disclosures", i, m, "released from a destroyed record")
        for i, m in zip(ids, pick["mrn"], strict=True)
    ]


def _access_after(
    ctx: GenContext,
    rng: np.random.Generator,
    pick: pl.DataFrame,
    gone_at: np.ndarray,
    him: pl.DataFrame,
) -> list[Defect]:
    """One view per patient by an HIM user employed then, on a working day of theirs,
    inside their shift; never a self/household pair."""
    try:
        from himaudit.generate.tables.access import identity_pairs

        pairs = set(identity_pairs(ctx).select(pl.concat_str("user_id", "mrn")).to_series())
    except ImportError:
        pairs = set()
    rows = []
    for mrn, gone in zip(pick["mrn"], gone_at, strict=True):
        day = int(gone // DAY_US) + (1 if advanced(ctx) else int(rng.integers(5, 61)))
        for u in him.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 31))).iter_rows(
            named=True
        ):
            d = day
            while (d + 3) % 7 in (u["day_off"], (u["day_off"] + 1) % 7):
                d += 1
            hours = u["shift_start"] + 0.25 + rng.random() * (u["shift_len"] - 0.5)
            at = d * DAY_US + int(hours * 3600) * 1_000_000
            employed = (u["hired_at"] is None or _us(u["hired_at"]) + HOUR <= at) and (
                u["terminated_at"] is None or at < _us(u["terminated_at"])
            )
            if employed and at > gone and f"{u['user_id']}{mrn}" not in pairs:
                ws = int(u["ws_base"]) * 3 + int(rng.integers(0, 3))
                rows.append((u["user_id"], mrn, at, f"WS{ws:05d}"))
                break
    n = len(rows)
    ids = [f"A98{i:09d}" for i in range(1, n + 1)]
    events = pl.DataFrame(
        {
            "event_id": ids,
            "user_id": [r[0] for r in rows],
            "mrn": [r[1] for r in rows],
            "accessed_at": _ts(np.array([r[2] for r in rows], dtype=np.int64)),
            "action": ["view"] * n,
            "workstation": [r[3] for r in rows],
            "break_the_glass": [False] * n,
            "btg_reason": pl.Series([None] * n, dtype=pl.String),
        }
    )
    if n:
        ctx.append("access_log", events)
    # Years after the last visit no encounter explains the access either, so ACC-005 fires
    # too — unavoidably; the answer key says so (one Defect per rule tripped).
    return [
        Defect(rule, "access_log", i, r[1], detail)
        for i, r in zip(ids, rows, strict=True)
        for rule, detail in (
            ("RET-005", "destroyed record opened in the EHR"),
            ("ACC-005", "HIM access to a destroyed record: no encounter explains it"),
        )
    ]


def _us(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
