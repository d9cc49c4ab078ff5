"""ACC-006..008: the statistical access rules' defects — an open far outside the user's
shift, and one-day bursts of charts or of prints/exports. Those rules learn and judge only
the trailing review window before as_of (``lookback_days``, default 365), so the defects
are planted inside it, on users with enough history there to have a baseline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector
from himaudit.generate.tables import access as acc

from .common import DAY, USER_CLAIM, annotate, count, emit, env_of, in_shift, with_users
from .sampling import finish, in_review, sample, stay_days

OPS = ("him", "billing", "registration")
MIN_EXPECTED_OPENS = 55  # ACC-006's min_events (40) with a margin for the random draw


def _expected_opens(links: pl.DataFrame) -> pl.Expr:
    """Mean chart opens the access builder draws for each care link (its Poisson model)."""
    span = (pl.col("discharge_at").dt.date() - pl.col("admit_at").dt.date()).dt.total_days() + 4
    long_stay = pl.col("encounter_class").is_in(["inpatient", "observation"])
    stay = pl.min_horizontal(span - 3, 10).clip(lower_bound=0)
    return 1 + pl.when(long_stay).then(0.7 * stay).otherwise(0.6)


@injector("ACC-006", tables=("access_log",))
def inject_after_hours(ctx: GenContext, rate: float) -> list[Defect]:
    """A treating clinician with a long recent history opens the chart far outside their
    own shift (basic: ~12 h away; advanced: 3–4 h past the end or before the start)."""
    env, rng = env_of(ctx), ctx.rng("inject:ACC-006")
    clin = env["model"].filter(pl.col("group") == "clinical")["user_id"].implode()
    links = env["links"].filter(pl.col("user_id").is_in(clin))
    # enough chart opens over the user's history for the rule to learn a pattern (it needs
    # 40); the open itself falls in the review window the rule judges
    busy = links.filter(_expected_opens(links).sum().over("user_id") >= MIN_EXPECTED_OPENS)
    busy = in_review(env, busy)
    n = count(rate, busy["user_id"].n_unique())
    if busy.is_empty() or n <= 0:
        return []
    base = with_users(env, sample(busy, 8 * n, rng))
    base = base.with_columns(stay_days(base, rng))
    start, length = base["shift_start"].to_numpy(), base["shift_len"].to_numpy()
    if env["advanced"]:
        late = rng.random(base.height) < 0.5
        gap = 3.0 + rng.random(base.height)
        hour = np.where(late, start + length + gap, start - gap)
    else:
        hour = start + length / 2 + 12 + rng.uniform(-1, 1, base.height)
    cols = [c for c in base.columns if c.startswith(("shift", "ws", "day_"))]
    cand = in_shift(base.select("user_id", "mrn", "day", *cols), rng, hour)
    keep = pl.col("employed") & pl.col("treated") & (pl.col("pair").fill_null("") != "self")
    keep = keep & (pl.col("accessed_at") >= env["review_lo"])
    ev = finish(ctx, env, cand, rng, keep, n)
    return emit(ctx, "ACC-006", ev, rng, "chart opened outside the user's usual shift")


def _ops_day_candidates(
    env: dict[str, Any], rng: np.random.Generator, roles: tuple[str, ...], k: int
) -> pl.DataFrame:
    """Operational users employed through the whole review window whose shift stays within
    one calendar day, each with random days inside the window."""
    review_lo, cap = env["review_lo"], env["cap"]
    m = env["model"].filter(
        pl.col("group").is_in(roles),
        pl.col("shift_start") + pl.col("shift_len") <= 24,
        pl.col("hired_at") + 30 * DAY <= review_lo,
        pl.col("terminated_at").is_null() | (pl.col("terminated_at") >= cap),
    )
    span = (cap - review_lo).days - 9
    if m.is_empty() or span < 1:
        return m
    m = pl.concat([m] * 4)  # four candidate days per user: busy days have enough patients
    m = m[rng.permutation(m.height)]
    off = rng.integers(0, span, size=m.height)
    first = (review_lo.date() - datetime(1970, 1, 1).date()).days + 7
    return m.with_columns(day=pl.Series(first + off, dtype=pl.Int32).cast(pl.Date)).head(k)


def _recent_patients(
    env: dict[str, Any], user_id: str, day: Any, k: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Up to k distinct patients admitted within 55 days of ``day`` (a documented purpose
    for operational staff), excluding VIPs and the user's own linked identities."""
    t = datetime.combine(day, datetime.min.time())
    if "enc_by_admit" not in env:  # sorted once: each burst slices it by binary search
        env["enc_by_admit"] = env["enc"].sort("admit_at", "encounter_id")
    enc = env["enc_by_admit"]
    bounds = pl.Series([t - 55 * DAY, t + 55 * DAY]).cast(pl.Datetime("us"))
    lo, hi = enc["admit_at"].search_sorted(bounds).to_list()
    if hi <= lo:
        return pl.DataFrame(schema={"mrn": pl.String})
    # draw from the slice instead of de-duplicating all of it (100k+ rows at 1M patients)
    draw = enc["mrn"].slice(lo, hi - lo).gather(rng.integers(0, hi - lo, size=3 * k + 10))
    mrns = draw.unique(maintain_order=True)
    bad = env["pairs"].filter(pl.col("user_id") == user_id)["mrn"]
    mrns = mrns.filter(~mrns.is_in(env["vip"].implode()) & ~mrns.is_in(bad.implode()))
    return pl.DataFrame({"mrn": mrns.head(k)})


Sizer = Callable[[dict[str, Any], dict[str, Any], np.random.Generator], tuple[int, int]]


def _burst(
    ctx: GenContext,
    rule_id: str,
    roles: tuple[str, ...],
    n: int,
    size: Sizer,
    actions: tuple[str, ...],
    detail: str,
) -> list[Defect]:
    """Bursts of opens by operational users, one user-day each (ACC-007 and ACC-008)."""
    env, rng = env_of(ctx), ctx.rng(f"inject:{rule_id}")
    cand = _ops_day_candidates(env, rng, roles, 40 * n)
    bursts = []
    for row in cand.iter_rows(named=True):  # at most 3n bursts are built, each small
        if len(bursts) >= 3 * n:
            break
        patients, events = size(env, row, rng)
        pts = _recent_patients(env, row["user_id"], row["day"], patients, rng)
        if pts.height < patients:
            continue
        idx = np.arange(events) % patients
        width = min(2.0, row["shift_len"]) if rule_id == "ACC-008" else row["shift_len"]
        begin = row["shift_start"] + rng.random() * (row["shift_len"] - width)
        ev = pl.DataFrame(
            {
                "burst": len(bursts),
                "user_id": [row["user_id"]] * events,
                "mrn": pts["mrn"].gather(idx),
                "day": [row["day"]] * events,
                "shift_start": row["shift_start"],
                "shift_len": row["shift_len"],
                "ws_base": row["ws_base"],
                "action": np.array(actions)[rng.integers(0, len(actions), events)],
            }
        )
        bursts.append(in_shift(ev, rng, begin + rng.random(events) * width))
    if not bursts:
        return []
    ev = annotate(env, pl.concat(bursts).with_columns(cid=pl.int_range(pl.len())))
    ok = (
        ev.group_by("burst")
        .agg(
            ok=(pl.col("employed") & pl.col("in_window") & pl.col("purpose")).all(),
            user_id=pl.col("user_id").first(),
        )
        .filter("ok")
        .sort("burst")
    )
    chosen: list[int] = []
    for b, u in zip(ok["burst"], ok["user_id"], strict=True):
        if len(chosen) < n and ctx.claim(USER_CLAIM, [u]):
            chosen.append(b)
    ev = ev.filter(pl.col("burst").is_in(chosen)).sort("burst", "cid")
    return emit(ctx, rule_id, ev, rng, detail, key="day")


def _role_daily_rate(env: dict[str, Any], role: str, day: Any) -> float:
    """Expected charts per working day of one member of ``role`` in the review window (the
    builder's model; encounter volume grows over the years, so recent volume is the base)."""
    cache = env.setdefault("rate_cache", {})
    if (role, day) in cache:
        return cache[role, day]
    if "recent_enc" not in env:
        env["recent_enc"] = env["enc"].filter(pl.col("admit_at") >= env["review_lo"]).height
    p = {r: prob for r, prob, *_ in acc._PURPOSES}.get(role, 0.0)
    days = max((env["cap"] - env["review_lo"]).days, 1)
    t = datetime.combine(day, datetime.min.time())
    m = env["model"].filter(
        pl.col("group") == role,
        pl.col("hired_at") <= t,
        pl.col("terminated_at").is_null() | (pl.col("terminated_at") > t),
    )
    cache[role, day] = p * env["recent_enc"] / days * 7 / 5 / max(m.height, 1)
    return cache[role, day]


@injector("ACC-007", tables=("access_log",))
def inject_volume_spike(ctx: GenContext, rate: float) -> list[Defect]:
    """An operational user opens many distinct charts in one day (basic ~10×, advanced ~3×
    their usual day, always at least 25 / 18 more than usual)."""
    env = env_of(ctx)

    def size(env: dict[str, Any], row: dict[str, Any], rng: np.random.Generator) -> tuple[int, int]:
        lam = max(1.0, _role_daily_rate(env, row["group"], row["day"]))
        k = int(np.ceil(max(3.4 * lam, lam + 18) if env["advanced"] else max(10 * lam, lam + 25)))
        return k, k + int(rng.integers(0, max(k // 5, 1) + 1))

    n = count(rate, env["model"].filter(pl.col("group").is_in(OPS)).height)
    why = "distinct patients in one day far above the user's usual volume"
    return _burst(ctx, "ACC-007", OPS, n, size, ("view",), why)


@injector("ACC-008", tables=("access_log",))
def inject_print_burst(ctx: GenContext, rate: float) -> list[Defect]:
    """An HIM or billing user prints/exports a few charts over and over within two hours
    (basic 25–40 outputs; advanced 11–14, just over the threshold of 10)."""
    env = env_of(ctx)

    def size(env: dict[str, Any], row: dict[str, Any], rng: np.random.Generator) -> tuple[int, int]:
        outputs = int(rng.integers(11, 15) if env["advanced"] else rng.integers(25, 41))
        return int(rng.integers(3, 6)), outputs

    roles = ("him", "billing")
    n = count(rate, env["model"].filter(pl.col("group").is_in(roles)).height)
    why = "burst of prints/exports in one day"
    return _burst(ctx, "ACC-008", roles, n, size, ("print", "export"), why)
