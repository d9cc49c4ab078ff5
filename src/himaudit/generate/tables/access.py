"""Clean EHR audit trail (``access_log``), streamed in chunks.

Every clean access has a reason a monitoring tool can see: clinical users open the charts of
patients whose care team they are on (care_team or attending, within the stay and a couple of
days around it, never beyond the ACC-005 window of 7 days); operational users (registration,
HIM, billing, IT) open charts along a documented purpose (registration at admission, HIM
coding/completion and billing after discharge). Every user works one stable personal shift,
so the after-hours rule can learn each user's pattern. Nobody opens their own record, a
household member's record without treating them, or a VIP record without treating them;
nobody accesses outside employment; break-the-glass always carries a reason.

The linkage helpers (``identity_pairs``) and the user model (``user_model``) are shared with
the ACC (and RET) injectors; the builder hands its own copies over in ``ctx.meta`` so the
injectors neither recompute them nor read the streamed log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.registry import table_builder

CLINICAL_ROLES = ("physician", "resident", "nurse", "therapist")
OPERATIONAL_ROLES = ("him", "billing", "registration", "it")
BTG_REASONS = (
    "emergency treatment",
    "patient transferred to my unit",
    "covering physician",
    "consult requested verbally",
    "rapid response",
)
CHUNK_LINKS = 400_000
ACTIONS = ("view", "modify", "print", "export")
# action probabilities (view, modify, print, export) per role group
_ACTION_P = {
    "clinical": (0.83, 0.15, 0.02, 0.0),
    "him": (0.86, 0.0, 0.07, 0.07),
    "billing": (0.92, 0.0, 0.04, 0.04),
    "registration": (0.85, 0.15, 0.0, 0.0),
    "it": (1.0, 0.0, 0.0, 0.0),
}
# operational purpose: (role, probability per encounter, anchor, first day, last day)
_PURPOSES = (
    ("registration", 0.9, "admit", 0, 0),
    ("him", 0.8, "discharge", 1, 20),
    ("billing", 0.6, "discharge", 2, 40),
    ("it", 0.002, "admit", 0, 1),
)
US_PER_HOUR = 3_600_000_000


def norm(col: str, keep: str = "a-z0-9") -> pl.Expr:
    """Normalise a linkage field the way the ACC rules do: lower case, only [keep] chars."""
    return pl.col(col).cast(pl.String).str.to_lowercase().str.replace_all(f"[^{keep}]", "")


def time_window(ctx: GenContext) -> tuple[datetime, datetime]:
    """Accesses stay inside [start, min(end + 1 day, as_of)) — nothing after as_of (DQ-033)."""
    p = ctx.profile
    cap = min(
        datetime.combine(p.end, datetime.min.time()) + timedelta(days=1),
        datetime.combine(p.as_of, datetime.min.time()),
    )
    return datetime.combine(p.start, datetime.min.time()), cap


def user_model(ctx: GenContext) -> pl.DataFrame:
    """One row per user: role group, personal shift (start hour, length) and two weekly days
    off for operational staff. Deterministic per seed, so injectors can reuse it."""
    users = ctx.tables["users"].select(
        "user_id",
        pl.col("role").cast(pl.String).str.to_lowercase(),
        pl.col("hired_at").cast(pl.Datetime("us")),
        pl.col("terminated_at").cast(pl.Datetime("us")),
    )
    rng = ctx.rng("access:shifts")
    n = users.height
    clinical = users["role"].is_in(CLINICAL_ROLES).to_numpy()
    operational = users["role"].is_in(OPERATIONAL_ROLES).to_numpy()
    # clinical staff: 55% day, 25% evening, 20% night; operational mostly days
    base_clin = rng.choice([7.0, 15.0, 23.0], size=n, p=[0.55, 0.25, 0.20])
    base_ops = rng.choice([7.0, 15.0, 23.0], size=n, p=[0.85, 0.12, 0.03])
    base = np.where(clinical, base_clin, base_ops)
    start = (base + rng.integers(-1, 2, size=n)) % 24
    length = rng.choice([8.0, 9.0, 10.0], size=n)
    day_off = rng.integers(0, 7, size=n)
    return users.with_columns(
        group=pl.when(pl.Series(clinical))
        .then(pl.lit("clinical"))
        .when(pl.Series(operational))
        .then(pl.col("role"))
        .otherwise(pl.lit("other")),
        shift_start=pl.Series(start),
        shift_len=pl.Series(length),
        day_off=pl.Series(day_off, dtype=pl.Int32),
        ws_base=pl.Series(rng.integers(0, 9_000, size=n), dtype=pl.Int32),
    )


def identity_pairs(ctx: GenContext) -> pl.DataFrame:
    """(user_id, mrn, kind) for roster identities matching MPI rows: ``self`` (first + last
    name and birth date or address) and ``family`` (last name and address or phone, not
    self). Equi-joins only, so the cost stays linear on a million-patient MPI."""

    def prep(df: pl.DataFrame, key: str) -> pl.DataFrame:
        return df.select(
            pl.col(key),
            first=norm("first_name", "a-z"),
            last=norm("last_name", "a-z"),
            birth=pl.col("birth_date").cast(pl.Date),
            addr=norm("address"),
            phone=norm("phone", "0-9"),
        )

    u = prep(ctx.tables["users"], "user_id")
    p = prep(ctx.tables["patients"], "mrn")
    joins = []
    for keys, kind, via in (
        (["first", "last", "birth"], "self", "name+birth_date"),
        (["first", "last", "addr"], "self", "name+address"),
        (["last", "addr"], "family", "last_name+address"),
        (["last", "phone"], "family", "last_name+phone"),
    ):
        uu = u.filter(*[pl.col(k).is_not_null() & (pl.col(k).cast(pl.String) != "") for k in keys])
        joins.append(
            uu.join(p, on=keys).select("user_id", "mrn", kind=pl.lit(kind), via=pl.lit(via))
        )
    # a self match is reported as self only (it is also a same-surname same-address match)
    return (
        pl.concat(joins)
        .group_by("user_id", "mrn")
        .agg(
            kind=pl.when((pl.col("kind") == "self").any())
            .then(pl.lit("self"))
            .otherwise(pl.lit("family")),
            via=pl.col("via").unique().sort().str.join(";"),
        )
        .sort("user_id", "mrn")
    )


def care_links(ctx: GenContext) -> pl.DataFrame:
    """Treatment relationships: (user_id, mrn, encounter) from care_team plus the attending,
    with the stay as [admit, discharge] (an open stay ends at the window cap)."""
    _, cap = time_window(ctx)
    enc = ctx.tables["encounters"].select(
        "encounter_id",
        "mrn",
        pl.col("encounter_class").cast(pl.String),
        pl.col("admit_at").cast(pl.Datetime("us")),
        pl.col("discharge_at").cast(pl.Datetime("us")).fill_null(pl.lit(cap)),
        "attending_id",
    )
    ct = ctx.tables["care_team"].select("encounter_id", "user_id")
    att = enc.filter(pl.col("attending_id").is_not_null()).select(
        "encounter_id", user_id="attending_id"
    )
    links = pl.concat([ct, att]).unique(maintain_order=True)
    return links.join(enc.drop("attending_id"), on="encounter_id").sort("encounter_id", "user_id")


def _place(ev: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Give each event (with a ``day`` date and the user's shift) a time inside the shift."""
    frac = rng.random(ev.height) * ev["shift_len"].to_numpy()
    us = ((ev["shift_start"].to_numpy() + frac) * US_PER_HOUR).astype(np.int64)
    whole_seconds = pl.Series(us // 1_000_000 * 1_000_000).cast(pl.Duration("us"))
    return ev.with_columns(accessed_at=pl.col("day").cast(pl.Datetime("us")) + whole_seconds)


def _finish(
    ev: pl.DataFrame,
    group: str,
    rng: np.random.Generator,
    lo: datetime,
    cap: datetime,
    forbid: pl.DataFrame | None,
) -> pl.DataFrame:
    """Drop events outside employment / the window / on forbidden pairs; add action, btg."""
    ev = ev.filter(
        (pl.col("accessed_at") >= pl.col("hired_at") + pl.duration(hours=1))
        & (pl.col("terminated_at").is_null() | (pl.col("accessed_at") < pl.col("terminated_at")))
        & (pl.col("accessed_at") >= lo)
        & (pl.col("accessed_at") < cap)
    )
    if forbid is not None:
        ev = ev.join(forbid, on=["user_id", "mrn"], how="anti", maintain_order="left")
    n = ev.height
    action = rng.choice(len(ACTIONS), size=n, p=_ACTION_P[group])
    btg = np.zeros(n, dtype=bool)
    if group == "clinical" and n:
        emergency = (ev["encounter_class"] == "emergency").to_numpy()
        btg = emergency & (rng.random(n) < 0.03)
    # gather from small string Series: building polars strings from numpy object arrays is
    # the slowest step at tens of millions of rows
    reasons = pl.Series(BTG_REASONS).gather(rng.integers(0, len(BTG_REASONS), size=n))
    ws = ev["ws_base"].to_numpy() * 3 + rng.integers(0, 3, size=n)
    return ev.select(
        "user_id",
        "mrn",
        "accessed_at",
        action=pl.Series(ACTIONS).gather(action),
        workstation=pl.concat_str(pl.lit("WS"), _digits(ws, 5)),
        break_the_glass=pl.Series(btg),
        btg_reason=pl.when(pl.Series(btg)).then(reasons).otherwise(None),
    )


def _days(col: str) -> pl.Expr:
    return pl.col(col).dt.date().cast(pl.Int32)  # days since 1970-01-01


def _clinical_chunk(links: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Expand care links into chart opens spread over [admit - 1 d, discharge + 2 d]."""
    first = links.select(_days("admit_at") - 1).to_series().to_numpy()
    last = links.select(_days("discharge_at") + 2).to_series().to_numpy()
    span = np.maximum(last - first + 1, 1)
    stay = np.minimum(span - 3, 10)
    long_stay = links["encounter_class"].is_in(["inpatient", "observation"]).to_numpy()
    lam = np.where(long_stay, 0.7 * stay, 0.6)
    n = 1 + rng.poisson(lam)
    idx = np.repeat(np.arange(links.height), n)
    day = first[idx] + (rng.random(idx.size) * span[idx]).astype(np.int64)
    return links[idx].with_columns(day=pl.Series(day, dtype=pl.Int32).cast(pl.Date))


def _operational_chunk(
    enc: pl.DataFrame, staff: dict[str, np.ndarray], rng: np.random.Generator
) -> pl.DataFrame:
    """Registration at admission, HIM and billing after discharge: random staff member of
    the role, moved off the member's weekly days off."""
    parts = []
    for role, p, anchor, d0, d1 in _PURPOSES:
        pool = staff.get(role)
        if pool is None or pool.size == 0:
            continue
        col = "admit_at" if anchor == "admit" else "discharge_at"
        pick = enc.filter(pl.col(col).is_not_null())
        pick = pick.filter(pl.Series(rng.random(pick.height) < p))
        day = pick.select(_days(col)).to_series().to_numpy() + rng.integers(
            d0, d1 + 1, size=pick.height
        )
        parts.append(
            pick.select("mrn", "encounter_id", "encounter_class").with_columns(
                user_id=pl.Series(
                    pool[rng.integers(0, pool.size, size=pick.height)], dtype=pl.String
                ),
                day=pl.Series(day, dtype=pl.Int32),
                role_purpose=pl.lit(role),
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def _off_shift(ev: pl.DataFrame) -> pl.DataFrame:
    """Move an operational event that falls on one of the user's two days off forward."""
    weekday = (pl.col("day") + 3) % 7  # 1970-01-01 was a Thursday -> Monday = 0
    return ev.with_columns(
        day=(
            pl.col("day")
            + pl.when(weekday == pl.col("day_off"))
            .then(2)
            .when(weekday == (pl.col("day_off") + 1) % 7)
            .then(1)
            .otherwise(0)
        )
        .cast(pl.Int32)
        .cast(pl.Date)
    )


@table_builder("access_log", after=("users", "patients", "encounters", "care_team"))
def build(ctx: GenContext) -> Iterator[pl.DataFrame]:
    """Set up eagerly (so later injector edits to other tables cannot change the stream),
    then yield the audit trail chunk by chunk."""
    lo, cap = time_window(ctx)
    model = user_model(ctx)
    pairs = identity_pairs(ctx)
    links = care_links(ctx)
    # handed to the ACC injectors (they run after every builder, before any other injector
    # edits these tables): at a million patients rebuilding the links costs seconds
    ctx.meta["access:setup"] = {"model": model, "pairs": pairs, "links": links}
    clinical_users = model.filter(pl.col("group") == "clinical")
    patients = ctx.tables["patients"]
    vip = (
        patients.filter(pl.col("is_vip").fill_null(False))["mrn"]
        if "is_vip" in patients.columns
        else pl.Series("mrn", [], pl.String)
    )
    enc = links.unique("encounter_id", keep="first").sort("encounter_id").drop("user_id")
    enc = (
        enc.join(
            ctx.tables["encounters"].select(
                "encounter_id", pl.col("discharge_at").cast(pl.Datetime("us")).alias("dis")
            ),
            on="encounter_id",
            maintain_order="left",
        )
        .with_columns(discharge_at=pl.col("dis"))
        .drop("dis")
    )
    staff = {r: model.filter(pl.col("group") == r)["user_id"].to_numpy() for r in OPERATIONAL_ROLES}
    return _stream(
        ctx,
        lo,
        cap,
        model,
        clinical_users,
        links,
        enc,
        staff,
        pairs.filter(pl.col("kind") == "self").select("user_id", "mrn"),
        pairs.select("user_id", "mrn"),
        vip,
    )


def _stream(
    ctx: GenContext,
    lo: datetime,
    cap: datetime,
    model: pl.DataFrame,
    clinical_users: pl.DataFrame,
    links: pl.DataFrame,
    enc: pl.DataFrame,
    staff: dict[str, np.ndarray],
    forbid_self: pl.DataFrame,
    forbid_all: pl.DataFrame,
    vip: pl.Series,
) -> Iterator[pl.DataFrame]:
    rng = ctx.rng("access:events")
    next_id = 1
    user_cols = model.drop("role", "group")
    # once, on links rather than per event: clinical users only, the user's shift and
    # employment attached, and no link onto the user's own record (self-access is never clean)
    links = (
        links.drop("encounter_id")
        .join(clinical_users.select(user_cols.columns), on="user_id", maintain_order="left")
        .join(forbid_self, on=["user_id", "mrn"], how="anti", maintain_order="left")
    )
    for i in range(0, links.height, CHUNK_LINKS):
        ev = _clinical_chunk(links.slice(i, CHUNK_LINKS), rng)
        ev = _finish(_place(ev, rng), "clinical", rng, lo, cap, None)
        next_id, out = _with_ids(ev, next_id)
        yield out
    for i in range(0, enc.height, CHUNK_LINKS):
        ops = _operational_chunk(enc.slice(i, CHUNK_LINKS), staff, rng)
        if ops.is_empty():
            continue
        ops = ops.filter(~pl.col("mrn").is_in(vip.implode()))
        # order-preserving: the random times drawn next are assigned row by row
        ops = _off_shift(ops.join(user_cols, on="user_id", maintain_order="left"))
        for role in OPERATIONAL_ROLES:
            part = ops.filter(pl.col("role_purpose") == role)
            if part.is_empty():
                continue
            part = _finish(_place(part, rng), role, rng, lo, cap, forbid_all)
            next_id, out = _with_ids(part, next_id)
            yield out


def _digits(values: pl.Series | np.ndarray, width: int) -> pl.Series:
    """Zero-padded decimal strings (twice as fast as str.zfill at tens of millions)."""
    return (pl.Series(values, dtype=pl.Int64) + 10**width).cast(pl.String).str.slice(1)


def _with_ids(ev: pl.DataFrame, next_id: int) -> tuple[int, pl.DataFrame]:
    """Event ids ``A`` + 11 digits, sequential in generation order (injectors use 9xxx...)."""
    ids = _digits(pl.int_range(next_id, next_id + ev.height, eager=True), 11)
    out = ev.with_columns(event_id=pl.concat_str(pl.lit("A"), ids)).select("event_id", *ev.columns)
    return next_id + ev.height, out
