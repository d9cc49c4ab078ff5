"""Shared model and helpers of the ACC injectors (see the package docstring).

The clean log is streamed, so injectors never read it; they reuse the deterministic model
the access builder computed (each user's shift, treatment links, identity pairs — handed
over in ``ctx.meta`` so a million-patient run does not rebuild them) and add events that
trip exactly their own rule. Every step works on a few hundred sampled candidates: the
big tables are only filtered down to the candidates' users/patients, never annotated whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.tables import access as acc

WINDOW_DAYS = 7  # ACC-003/004/005 default treatment window
PURPOSE_DAYS = 60  # ACC-005 default operational purpose window
LOOKBACK_DAYS = 365  # ACC-006/007/008 default review window before as_of
DAY = timedelta(days=1)
USER_CLAIM = "acc:user"
PAIR_CLAIM = "acc:pair"


def env_of(ctx: GenContext) -> dict[str, Any]:
    """Model shared by all ACC injectors, computed once per run (never written out)."""
    if "acc:env" in ctx.meta:
        return ctx.meta["acc:env"]
    lo, cap = acc.time_window(ctx)
    setup = ctx.meta.get("access:setup") or {
        "model": acc.user_model(ctx),
        "pairs": acc.identity_pairs(ctx),
        "links": acc.care_links(ctx),
    }
    pats = ctx.tables["patients"]
    vip = pats.filter(pl.col("is_vip").fill_null(False))["mrn"] if "is_vip" in pats.columns else []
    destroyed = pl.DataFrame(schema={"mrn": pl.String, "destroyed_at": pl.Datetime("us")})
    inv = ctx.tables.get("record_inventory")
    if inv is not None and inv.height:
        destroyed = inv.group_by("mrn", maintain_order=True).agg(
            pl.col("destroyed_at").cast(pl.Datetime("us")).min()
        )
    enc = ctx.tables["encounters"].select(
        "encounter_id",
        "mrn",
        pl.col("encounter_class").cast(pl.String),
        pl.col("admit_at").cast(pl.Datetime("us")),
        pl.col("discharge_at").cast(pl.Datetime("us")).fill_null(pl.lit(cap)),
    )
    as_of = datetime.combine(ctx.profile.as_of, datetime.min.time())
    env = {
        "lo": lo,
        "cap": cap,
        # first day the statistical rules (ACC-006/007/008) review by default
        "review_lo": max(lo, as_of - LOOKBACK_DAYS * DAY),
        "model": setup["model"],
        "links": setup["links"],
        "enc": enc,
        "pairs": setup["pairs"],
        "vip": pl.Series("mrn", vip, pl.String),
        "destroyed": destroyed,
        "advanced": ctx.profile.mix.get("difficulty") == "advanced",
    }
    ctx.meta["acc:env"] = env
    return env


def count(rate: float, eligible: int) -> int:
    """A rate >= 1 is a count; below 1 a share of the eligible users/pairs."""
    return int(rate) if rate >= 1 else int(round(rate * eligible))


def in_shift(
    ev: pl.DataFrame, rng: np.random.Generator, offset: np.ndarray | None = None
) -> pl.DataFrame:
    """Set ``accessed_at`` from ``day`` (Date) + the user's shift (or the given hours)."""
    h = ev["shift_start"].to_numpy() + rng.random(ev.height) * ev["shift_len"].to_numpy()
    if offset is not None:
        h = offset
    secs = (h * 3600).astype(np.int64) * 1_000_000
    return ev.with_columns(
        accessed_at=pl.col("day").cast(pl.Datetime("us")) + pl.Series(secs).cast(pl.Duration("us"))
    )


def annotate(env: dict[str, Any], ev: pl.DataFrame) -> pl.DataFrame:
    """Add what each candidate (cid, user_id, mrn, accessed_at) would look like to the rules:
    employed, inside the data window, treated (care link ± 7 d), purpose (encounter ± 60 d),
    pair kind (self/family/None), vip."""
    t = pl.col("accessed_at")
    # narrow the big tables to the candidates' patients first (millions of rows at scale)
    mrns = ev["mrn"].unique().implode()
    links = env["links"].filter(pl.col("mrn").is_in(mrns))
    links = links.select("user_id", "mrn", "admit_at", "discharge_at")
    enc = env["enc"].filter(pl.col("mrn").is_in(mrns))

    def hits(other: pl.DataFrame, on: list[str], days: int, name: str) -> pl.DataFrame:
        return (
            ev.select("cid", *on, "accessed_at")
            .join(other.select(*on, "admit_at", "discharge_at"), on=on)
            .filter(t >= pl.col("admit_at") - days * DAY, t <= pl.col("discharge_at") + days * DAY)
            .select("cid")
            .unique()
            .with_columns(pl.lit(True).alias(name))
        )

    m = env["model"].select("user_id", "role", "group", "hired_at", "terminated_at")
    out = (
        ev.drop([c for c in ("role", "group", "hired_at", "terminated_at") if c in ev.columns])
        .join(m, on="user_id", how="left", maintain_order="left")
        .join(
            hits(links, ["user_id", "mrn"], WINDOW_DAYS, "treated"),
            on="cid",
            how="left",
            maintain_order="left",
        )
        .join(
            hits(enc, ["mrn"], PURPOSE_DAYS, "purpose"), on="cid", how="left", maintain_order="left"
        )
        .join(
            env["pairs"].select("user_id", "mrn", pair=pl.col("kind")),
            on=["user_id", "mrn"],
            how="left",
            maintain_order="left",
        )
        .join(env["destroyed"], on="mrn", how="left", maintain_order="left")
    )
    return out.with_columns(
        employed=(t >= pl.col("hired_at") + pl.duration(hours=1))
        & (pl.col("terminated_at").is_null() | (t < pl.col("terminated_at"))),
        in_window=(t >= env["lo"])
        & (t < env["cap"])
        & (pl.col("destroyed_at").is_null() | (t < pl.col("destroyed_at"))),
        treated=pl.col("treated").fill_null(False),
        purpose=pl.col("purpose").fill_null(False),
        vip=pl.col("mrn").is_in(env["vip"].implode()),
    )


def with_users(env: dict[str, Any], df: pl.DataFrame) -> pl.DataFrame:
    cols = ["user_id", "shift_start", "shift_len", "day_off", "ws_base"]
    return df.join(env["model"].select(cols), on="user_id", maintain_order="left")


def take(ctx: GenContext, ev: pl.DataFrame, n: int, *, per_user: bool = True) -> pl.DataFrame:
    """The first ``n`` candidates whose user is still unclaimed by another ACC injector
    (``per_user=False``: whose (user, patient) pair is unclaimed — self and household snoops
    are single opens that cannot disturb each other, and the linked users are few)."""
    keep = []
    for i, (user, mrn) in enumerate(zip(ev["user_id"], ev["mrn"], strict=True)):
        if len(keep) >= n:  # candidates are a few times n: this loop stays short
            break
        key = user if per_user else f"{user}|{mrn}"
        if ctx.claim(USER_CLAIM if per_user else PAIR_CLAIM, [key]):
            keep.append(i)
    return ev[keep] if keep else ev.clear()


def emit(
    ctx: GenContext,
    rule_id: str,
    ev: pl.DataFrame,
    rng: np.random.Generator,
    detail: str | pl.Series,
    *,
    key: str = "event",
) -> list[Defect]:
    """Append events (event id ``A9`` + rule number + counter) and return answer-key rows.
    ``key='day'`` keys the defect as ``user_id:YYYY-MM-DD`` (one per user-day)."""
    if ev.is_empty():
        return []
    no = int(rule_id.split("-")[1])
    n = ev.height
    ids = [f"A9{no:02d}{i:08d}" for i in range(1, n + 1)]
    ws = ev["ws_base"].to_numpy() * 3 + rng.integers(0, 3, size=n)
    cols = {
        "event_id": ids,
        "user_id": ev["user_id"],
        "mrn": ev["mrn"],
        "accessed_at": ev["accessed_at"].cast(pl.Datetime("us")),
        "action": ev["action"] if "action" in ev.columns else ["view"] * n,
        "workstation": [f"WS{w:05d}" for w in ws],
        "break_the_glass": ev["btg"] if "btg" in ev.columns else [False] * n,
        "btg_reason": ev["btg_reason"] if "btg_reason" in ev.columns else [None] * n,
    }
    out = pl.DataFrame(cols, schema_overrides={"btg_reason": pl.String})
    ctx.append("access_log", out)
    details = detail if isinstance(detail, pl.Series) else pl.Series([detail] * n)
    if key == "day":
        day_keys = out.select(
            k=pl.col("user_id") + ":" + pl.col("accessed_at").dt.date().cast(pl.String)
        )["k"]
        seen: dict[str, str] = {}
        for k, d in zip(day_keys, details, strict=True):
            seen.setdefault(k, d)
        return [Defect(rule_id, "access_log", k, None, d) for k, d in seen.items()]
    return [
        Defect(rule_id, "access_log", e, m, d)
        for e, m, d in zip(ids, out["mrn"], details, strict=True)
    ]
