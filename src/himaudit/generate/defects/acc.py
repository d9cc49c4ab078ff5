"""ACC injectors: snooping events appended to the streamed access log (``ctx.append``).

The clean log is streamed, so injectors never read it; they recompute the same deterministic
model the builder used (each user's shift, treatment links, identity pairs) and add events
that trip exactly their own rule. Keeping the families separate:

* every injected event falls inside the user's shift (except ACC-006's) and is a single
  chart open (except ACC-007/008's bursts), so the statistical rules stay quiet;
* ACC-005 leaves events to the more specific rule: outside employment (ACC-001), own or
  household record (ACC-002/003), VIP record (ACC-004) — so a family snoop by a nurse is one
  ACC-003 answer, not also an ACC-005 one;
* ACC-006/009 events are on charts the user is treating; ACC-007/008 bursts are by
  operational staff on patients with a recent encounter (a documented purpose), so none of
  them is "unexplained" either.

``difficulty = "advanced"`` makes them subtler: minutes/days past termination, VIP or
unexplained access just beyond the ± 7-day treatment window, operational access with no
encounter near, after-hours only 3–4 h past the shift, spikes at ~3× instead of 10×,
print bursts just over the threshold, placeholder break-the-glass reasons.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.registry import injector
from himaudit.generate.tables import access as acc

WINDOW_DAYS = 7  # ACC-003/004/005 default treatment window
PURPOSE_DAYS = 60  # ACC-005 default operational purpose window
DAY = timedelta(days=1)
USER_CLAIM = "acc:user"
PAIR_CLAIM = "acc:pair"


def _env(ctx: GenContext) -> dict[str, Any]:
    """Model shared by all ACC injectors, computed once per run (never written out)."""
    if "acc:env" in ctx.meta:
        return ctx.meta["acc:env"]
    lo, cap = acc.time_window(ctx)
    links = acc.care_links(ctx)
    pats = ctx.tables["patients"]
    vip = pats.filter(pl.col("is_vip").fill_null(False))["mrn"] if "is_vip" in pats.columns else []
    destroyed = pl.DataFrame(schema={"mrn": pl.String, "destroyed_at": pl.Datetime("us")})
    inv = ctx.tables.get("record_inventory")
    if inv is not None and inv.height:
        destroyed = inv.group_by("mrn").agg(pl.col("destroyed_at").cast(pl.Datetime("us")).min())
    enc = ctx.tables["encounters"].select(
        "encounter_id",
        "mrn",
        pl.col("encounter_class").cast(pl.String),
        pl.col("admit_at").cast(pl.Datetime("us")),
        pl.col("discharge_at").cast(pl.Datetime("us")).fill_null(pl.lit(cap)),
    )
    env = {
        "lo": lo,
        "cap": cap,
        "model": acc.user_model(ctx),
        "links": links,
        "enc": enc,
        "pairs": acc.identity_pairs(ctx),
        "vip": pl.Series("mrn", vip, pl.String),
        "destroyed": destroyed,
        "advanced": ctx.profile.mix.get("difficulty") == "advanced",
    }
    ctx.meta["acc:env"] = env
    return env


def _count(rate: float, eligible: int) -> int:
    """A rate >= 1 is a count; below 1 a share of the eligible users/pairs."""
    return int(rate) if rate >= 1 else int(round(rate * eligible))


def in_shift(
    ev: pl.DataFrame,
    rng: np.random.Generator,
    offset: np.ndarray | None = None,
) -> pl.DataFrame:
    """Set ``accessed_at`` from ``day`` (Date) + the user's shift (+ optional hour offset)."""
    h = ev["shift_start"].to_numpy() + rng.random(ev.height) * ev["shift_len"].to_numpy()
    if offset is not None:
        h = offset
    secs = (h * 3600).astype(np.int64) * 1_000_000
    return ev.with_columns(
        accessed_at=pl.col("day").cast(pl.Datetime("us")) + pl.Series(secs).cast(pl.Duration("us"))
    )


def annotate(env: dict[str, Any], ev: pl.DataFrame) -> pl.DataFrame:
    """Add what each candidate (user_id, mrn, accessed_at) would look like to the rules:
    employed, inside the data window, treated (care link ± 7 d), purpose (encounter ± 60 d),
    pair kind (self/family/None), vip."""
    t = pl.col("accessed_at")
    # narrow the big tables to the candidates' patients first (millions of rows at scale)
    mrns = ev["mrn"].unique().implode()
    links = env["links"].filter(pl.col("mrn").is_in(mrns))
    links = links.select("user_id", "mrn", "admit_at", "discharge_at")
    enc = env["enc"].filter(pl.col("mrn").is_in(mrns))
    treated = (
        ev.select("cid", "user_id", "mrn", "accessed_at")
        .join(links, on=["user_id", "mrn"])
        .filter(
            t >= pl.col("admit_at") - WINDOW_DAYS * DAY,
            t <= pl.col("discharge_at") + WINDOW_DAYS * DAY,
        )
        .select("cid")
        .unique()
        .with_columns(treated=pl.lit(True))
    )
    purpose = (
        ev.select("cid", "mrn", "accessed_at")
        .join(enc.select("mrn", "admit_at", "discharge_at"), on="mrn")
        .filter(
            t >= pl.col("admit_at") - PURPOSE_DAYS * DAY,
            t <= pl.col("discharge_at") + PURPOSE_DAYS * DAY,
        )
        .select("cid")
        .unique()
        .with_columns(purpose=pl.lit(True))
    )
    m = env["model"].select("user_id", "role", "group", "hired_at", "terminated_at")
    out = (
        ev.drop([c for c in ("role", "group", "hired_at", "terminated_at") if c in ev.columns])
        .join(m, on="user_id", how="left")
        .join(treated, on="cid", how="left")
        .join(purpose, on="cid", how="left")
        .join(
            env["pairs"].select("user_id", "mrn", pair=pl.col("kind")),
            on=["user_id", "mrn"],
            how="left",
        )
        .join(env["destroyed"], on="mrn", how="left")
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
    return df.join(env["model"].select(cols), on="user_id")


def take(ctx: GenContext, ev: pl.DataFrame, n: int, *, per_user: bool = True) -> pl.DataFrame:
    """The first ``n`` candidates whose user is still unclaimed by another ACC injector
    (``per_user=False``: whose (user, patient) pair is unclaimed — self and household snoops
    are single opens that cannot disturb each other, and the linked users are few)."""
    rows = []
    for row in ev.iter_rows(named=True):  # candidates are few (a few times n)
        if len(rows) >= n:
            break
        if per_user:
            fresh = ctx.claim(USER_CLAIM, [row["user_id"]])
        else:
            fresh = ctx.claim(PAIR_CLAIM, [f"{row['user_id']}|{row['mrn']}"])
        if fresh:
            rows.append(row)
    return pl.DataFrame(rows, schema=ev.schema) if rows else ev.clear()


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


def random_days(rng: np.random.Generator, lo: datetime, hi: datetime, n: int) -> pl.Series:
    """n random dates in [lo, hi) (as a Date series)."""
    a, b = _epoch_day(lo), max(_epoch_day(hi), _epoch_day(lo) + 1)
    return pl.Series("day", rng.integers(a, b, size=n), dtype=pl.Int32).cast(pl.Date)


def _epoch_day(t: datetime) -> int:
    return (t.date() - datetime(1970, 1, 1).date()).days


def _days_from(col: str, offset: np.ndarray) -> pl.Expr:
    """Date of ``col`` shifted by integer day offsets."""
    return (pl.col(col).dt.date().cast(pl.Int32) + pl.Series(offset, dtype=pl.Int32)).cast(pl.Date)


def _finish(
    ctx: GenContext,
    env: dict[str, Any],
    cand: pl.DataFrame,
    rng: np.random.Generator,
    keep: pl.Expr,
    n: int,
    *,
    per_user: bool = True,
    prefer: pl.Expr | None = None,
) -> pl.DataFrame:
    """Annotate candidates, keep those satisfying ``keep`` (+ always: in the data window),
    shuffle deterministically and take ``n`` with distinct unclaimed users."""
    if cand.is_empty() or n <= 0:
        return cand.clear()
    cand = annotate(env, cand.with_columns(cid=pl.int_range(pl.len())))
    cand = cand.filter(pl.col("in_window") & keep)
    cand = cand[rng.permutation(cand.height)] if cand.height else cand
    if prefer is not None:  # stable: preferred candidates first, random order within
        cand = cand.with_columns(_p=prefer).sort("_p", maintain_order=True).drop("_p")
    return take(ctx, cand, n, per_user=per_user)


def _link_frame(env: dict[str, Any], users: pl.DataFrame | None = None) -> pl.DataFrame:
    links = env["links"]
    return links if users is None else links.join(users.select("user_id"), on="user_id")


@injector("ACC-001", tables=("access_log",))
def inject_terminated_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A chart opened after the user's termination (or before hire): the user's own last
    (first) patient, in their usual shift. Advanced: hours to 2 days off the boundary."""
    env, rng, adv = _env(ctx), ctx.rng("inject:ACC-001"), _env(ctx)["advanced"]
    m = env["model"].filter(pl.col("group") != "other")
    lo, cap = env["lo"], env["cap"]
    after = m.filter(pl.col("terminated_at").is_between(lo + 5 * DAY, cap - 100 * DAY))
    before = m.filter(pl.col("hired_at").is_between(lo + 100 * DAY, cap))
    n = _count(rate, after.height + before.height)
    by_time = env["links"].sort("admit_at", "encounter_id")
    last = by_time.group_by("user_id").agg(mrn=pl.col("mrn").last())
    first = by_time.group_by("user_id").agg(mrn=pl.col("mrn").first())
    enc_mrns = env["enc"]["mrn"].to_numpy()
    parts = []
    for frame, mrns, sign, anchor, rng_days in (
        (after, last, 1, "terminated_at", (0, 3) if adv else (10, 91)),
        (before, first, -1, "hired_at", (1, 4) if adv else (10, 61)),
    ):
        if frame.is_empty():
            continue
        k = rng.integers(*rng_days, size=frame.height) * sign
        c = frame.select("user_id", anchor).join(mrns, on="user_id", how="left")
        c = c.with_columns(
            mrn=pl.col("mrn").fill_null(
                pl.Series(enc_mrns[rng.integers(0, enc_mrns.size, c.height)])
            ),
            day=_days_from(anchor, k),
            days=pl.Series(np.abs(k)),
            side=pl.lit("after termination" if sign > 0 else "before hire"),
        )
        parts.append(c.drop(anchor))
    if not parts:
        return []
    cand = in_shift(with_users(env, pl.concat(parts)), rng)
    # a same-day open that fell before the termination moment moves to the next day
    cand = (
        cand.join(env["model"].select("user_id", "terminated_at"), on="user_id")
        .with_columns(
            accessed_at=pl.when(
                (pl.col("side") == "after termination")
                & (pl.col("accessed_at") < pl.col("terminated_at"))
            )
            .then(pl.col("accessed_at") + DAY)
            .otherwise(pl.col("accessed_at"))
        )
        .drop("terminated_at")
    )
    ev = _finish(
        ctx, env, cand, rng, ~pl.col("employed") & ~pl.col("vip") & pl.col("pair").is_null(), n
    )
    detail = (
        ev.select(pl.format("chart opened {} d {}", "days", "side")).to_series()
        if ev.height
        else ""
    )
    return emit(ctx, "ACC-001", ev, rng, detail)


def _pair_injector(ctx: GenContext, rate: float, rule_id: str, kind: str) -> list[Defect]:
    """Self (ACC-002) or household (ACC-003) access on a linked (user, patient) pair, on a
    working day of the user's employment, with no treatment relationship for ACC-003."""
    env = _env(ctx)
    rng = ctx.rng(f"inject:{rule_id}")
    pairs = env["pairs"].filter(pl.col("kind") == kind)
    n = _count(rate, pairs.height)
    if pairs.is_empty() or n <= 0:
        return []
    m = env["model"].filter(pl.col("group") != "other")
    c = pairs.join(m.select("user_id", "hired_at", "terminated_at"), on="user_id")
    start = c.select(pl.max_horizontal(pl.col("hired_at") + DAY, pl.lit(env["lo"]))).to_series()
    end = c.select(
        pl.min_horizontal(pl.col("terminated_at").fill_null(env["cap"]), pl.lit(env["cap"])) - DAY
    ).to_series()
    span = np.maximum((end - start).dt.total_days().fill_null(0).to_numpy(), 1)
    off = (rng.random(c.height) * span).astype(np.int64)
    c = c.with_columns(
        day=(start.dt.date().cast(pl.Int32) + pl.Series(off, dtype=pl.Int32)).cast(pl.Date)
    )
    cand = in_shift(with_users(env, c.select("user_id", "mrn", "day", "via")), rng)
    keep = pl.col("employed") & ~pl.col("vip")
    if kind == "family":
        keep = keep & ~pl.col("treated")
    # advanced: households linked only by phone (not address) first, when there are any
    prefer = pl.col("via").str.contains("address") if env["advanced"] and kind == "family" else None
    ev = _finish(ctx, env, cand, rng, keep, n, prefer=prefer, per_user=False)
    what = "own record" if kind == "self" else "household member's record"
    detail = ev.select(pl.format(f"{what}, linked on {{}}", "via")).to_series() if ev.height else ""
    return emit(ctx, rule_id, ev, rng, detail)


@injector("ACC-002", tables=("access_log",))
def inject_self_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A user opens the MPI record that links to their own roster identity."""
    return _pair_injector(ctx, rate, "ACC-002", "self")


@injector("ACC-003", tables=("access_log",))
def inject_family_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A user opens a household member's record (same surname + address/phone), untreated."""
    return _pair_injector(ctx, rate, "ACC-003", "family")


def _stay_days(links: pl.DataFrame, rng: np.random.Generator) -> pl.Expr:
    """A random date inside each row's stay [admit date, discharge date]."""
    a = links["admit_at"].dt.date().cast(pl.Int32).to_numpy()
    b = links["discharge_at"].dt.date().cast(pl.Int32).to_numpy()
    day = a + (rng.random(links.height) * (b - a + 1)).astype(np.int64)
    return pl.Series("day", day, dtype=pl.Int32).cast(pl.Date)


def _sample(df: pl.DataFrame, k: int, rng: np.random.Generator) -> pl.DataFrame:
    return df[rng.integers(0, df.height, size=k)] if df.height else df


def _random_staff(env: dict[str, Any], groups: tuple[str, ...], k: int, rng) -> pl.Series:
    pool = env["model"].filter(pl.col("group").is_in(groups))["user_id"]
    return (
        pool.gather(rng.integers(0, pool.len(), size=k))
        if pool.len()
        else pl.Series([], dtype=pl.String)
    )


def _beyond_window(links: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """A date 9–30 days after discharge (or before admission): just outside ± 7 days."""
    k = rng.integers(9, 31, size=links.height)
    after = rng.random(links.height) < 0.7
    a = links["admit_at"].dt.date().cast(pl.Int32).to_numpy() - k
    b = links["discharge_at"].dt.date().cast(pl.Int32).to_numpy() + k
    return pl.Series("day", np.where(after, b, a), dtype=pl.Int32).cast(pl.Date)


def _promote_vips(ctx: GenContext, env: dict[str, Any], k: int, rng: np.random.Generator) -> None:
    """A small MPI may hold no VIP at all: flag k patients as VIP — only patients with no
    encounter (so no clean access exists to them) and no roster identity link."""
    pats = ctx.tables["patients"]
    seen = pl.concat([env["enc"]["mrn"], env["pairs"]["mrn"]]).unique().implode()
    pool = pats.filter(~pl.col("mrn").is_in(seen))["mrn"].sort()
    if pool.len() == 0:
        return
    chosen = pool.gather(rng.permutation(pool.len())[:k])
    ctx.tables["patients"] = pats.with_columns(
        is_vip=pl.when(pl.col("mrn").is_in(chosen.implode())).then(True).otherwise(pl.col("is_vip"))
    )
    env["vip"] = chosen


@injector("ACC-004", tables=("access_log", "patients"))
def inject_vip_access(ctx: GenContext, rate: float) -> list[Defect]:
    """A VIP chart opened by staff with no treatment relationship (basic: anyone during the
    stay; advanced: a former treating clinician 9–30 days after the window closed)."""
    env, rng = _env(ctx), ctx.rng("inject:ACC-004")
    vip_links = env["links"].filter(pl.col("mrn").is_in(env["vip"].implode()))
    if env["vip"].len() == 0:
        _promote_vips(ctx, env, int(rate) if rate >= 1 else 1, rng)
    n = _count(rate, env["vip"].len())
    if env["vip"].len() == 0 or n <= 0:
        return []
    if vip_links.is_empty():  # VIPs never seen here: a curious look on any day after birth
        pats = ctx.tables["patients"].filter(pl.col("mrn").is_in(env["vip"].implode()))
        base = _sample(pats.select("mrn", "birth_date"), 8 * n, rng)
        day = random_days(rng, env["lo"] + DAY, env["cap"] - DAY, base.height)
        base = base.with_columns(day=day).filter(pl.col("day") > pl.col("birth_date"))
        users = _random_staff(env, ("clinical", "him", "billing", "registration"), base.height, rng)
        cand = in_shift(with_users(env, base.select("mrn", "day", user_id=users)), rng)
        keep = pl.col("employed") & ~pl.col("treated") & pl.col("pair").is_null()
        ev = _finish(ctx, env, cand, rng, keep, n)
        return emit(ctx, "ACC-004", ev, rng, "VIP chart opened with no treatment relationship")
    base = _sample(vip_links, 8 * n, rng)
    if env["advanced"]:
        cand = base.select("user_id", "mrn", _beyond_window(base, rng))
        why = "VIP chart opened by a former treating user outside the ± 7 d window"
    else:
        users = _random_staff(env, ("clinical", "him", "billing", "registration"), base.height, rng)
        cand = base.select("mrn", _stay_days(base, rng)).with_columns(user_id=users)
        why = "VIP chart opened with no treatment relationship"
    cand = in_shift(with_users(env, cand), rng)
    ev = _finish(
        ctx, env, cand, rng, pl.col("employed") & ~pl.col("treated") & pl.col("pair").is_null(), n
    )
    return emit(ctx, "ACC-004", ev, rng, why)


@injector("ACC-005", tables=("access_log",))
def inject_unexplained_access(ctx: GenContext, rate: float) -> list[Defect]:
    """Chart opened with no treatment relationship (basic: a clinician opens a patient in
    another unit during the stay); advanced: a former treating clinician 9–30 d outside the
    window, or operational staff on a patient with no encounter within ± 60 d."""
    env, rng = _env(ctx), ctx.rng("inject:ACC-005")
    n = _count(rate, env["model"].height)
    if n <= 0 or env["links"].is_empty():
        return []
    clean = ~pl.col("vip") & pl.col("pair").is_null() & pl.col("employed")
    if not env["advanced"]:
        base = _sample(env["enc"], 8 * n, rng)
        users = _random_staff(env, ("clinical",), base.height, rng)
        cand = base.select("mrn", _stay_days(base, rng)).with_columns(user_id=users)
        cand = in_shift(with_users(env, cand), rng).with_columns(
            why=pl.lit("no treatment relationship")
        )
        ev = _finish(ctx, env, cand, rng, clean & ~pl.col("treated"), n)
        return emit(ctx, "ACC-005", ev, rng, ev["why"] if ev.height else "")
    half = n - n // 2
    base = _sample(
        env["links"].filter(
            pl.col("user_id").is_in(
                _random_staff(env, ("clinical",), 10**6, rng).unique().implode()
            )
        ),
        8 * half,
        rng,
    )
    c1 = in_shift(with_users(env, base.select("user_id", "mrn", _beyond_window(base, rng))), rng)
    c1 = c1.with_columns(why=pl.lit("former treating clinician, 9-30 d outside the window"))
    ev1 = _finish(
        ctx, env, c1, rng, clean & ~pl.col("treated") & (pl.col("group") == "clinical"), half
    )
    last = env["enc"].group_by("mrn").agg(pl.col("discharge_at").max())
    base = _sample(last, 8 * (n // 2), rng)
    k = rng.integers(PURPOSE_DAYS + 10, PURPOSE_DAYS + 400, size=base.height)
    users = _random_staff(env, ("him", "billing", "registration"), base.height, rng)
    c2 = base.select("mrn", day=_days_from("discharge_at", k)).with_columns(user_id=users)
    c2 = in_shift(with_users(env, c2), rng).with_columns(
        why=pl.lit("operational access, no encounter within 60 d")
    )
    ev2 = _finish(ctx, env, c2, rng, clean & ~pl.col("purpose") & ~pl.col("treated"), n // 2)
    ev = pl.concat([ev1, ev2], how="diagonal_relaxed") if ev2.height else ev1
    return emit(ctx, "ACC-005", ev, rng, ev["why"] if ev.height else "")


@injector("ACC-006", tables=("access_log",))
def inject_after_hours(ctx: GenContext, rate: float) -> list[Defect]:
    """A treating clinician with a long history opens the chart far outside their own shift
    (basic: ~12 h away; advanced: 3–4 h past the end or before the start of the shift)."""
    env, rng = _env(ctx), ctx.rng("inject:ACC-006")
    clin = env["model"].filter(pl.col("group") == "clinical")
    busy = env["links"].join(clin.select("user_id"), on="user_id")
    busy = busy.filter(pl.len().over("user_id") >= 30)  # enough history to learn a pattern
    n = _count(rate, busy["user_id"].n_unique())
    if busy.is_empty() or n <= 0:
        return []
    base = with_users(env, _sample(busy, 8 * n, rng))
    base = base.with_columns(_stay_days(base, rng))
    start, length = base["shift_start"].to_numpy(), base["shift_len"].to_numpy()
    if env["advanced"]:
        late = rng.random(base.height) < 0.5
        gap = 3.0 + rng.random(base.height)
        hour = np.where(late, start + length + gap, start - gap)
    else:
        hour = start + length / 2 + 12 + rng.uniform(-1, 1, base.height)
    cand = in_shift(
        base.select(
            "user_id",
            "mrn",
            "day",
            *[c for c in base.columns if c.startswith(("shift", "ws", "day_"))],
        ),
        rng,
        hour,
    )
    keep = pl.col("employed") & pl.col("treated") & (pl.col("pair").fill_null("") != "self")
    ev = _finish(ctx, env, cand, rng, keep, n)
    return emit(ctx, "ACC-006", ev, rng, "chart opened outside the user's usual shift")


def _ops_day_candidates(
    env: dict[str, Any], rng: np.random.Generator, roles: tuple[str, ...], k: int
) -> pl.DataFrame:
    """Operational users whose shift stays within one calendar day, each with one random day
    of their employment inside the data window (leaving 60 days of history before it)."""
    m = env["model"].filter(
        pl.col("group").is_in(roles), pl.col("shift_start") + pl.col("shift_len") <= 24
    )
    if m.is_empty():
        return m
    m = m[rng.permutation(m.height)]
    lo = pl.lit(env["lo"] + 60 * DAY)
    start = m.select(pl.max_horizontal(pl.col("hired_at") + 30 * DAY, lo)).to_series()
    end = m.select(
        pl.min_horizontal(pl.col("terminated_at").fill_null(env["cap"]), pl.lit(env["cap"]))
        - 2 * DAY
    ).to_series()
    span = (end - start).dt.total_days().to_numpy()
    # at least three years at work inside the window: enough history for a baseline
    m = m.with_columns(start=start, span=pl.Series(span)).filter(pl.col("span") > 3 * 365)
    m = pl.concat([m] * 4)  # four candidate days per user: busy days have enough patients
    m = m[rng.permutation(m.height)]
    off = (rng.random(m.height) * m["span"].to_numpy()).astype(np.int64)
    return m.with_columns(
        day=(pl.col("start").dt.date().cast(pl.Int32) + pl.Series(off, dtype=pl.Int32)).cast(
            pl.Date
        )
    ).head(k)


def _recent_patients(env: dict[str, Any], user_id: str, day: Any, k: int, rng) -> pl.DataFrame:
    """Up to k distinct patients admitted within 55 days of ``day`` (a documented purpose
    for operational staff), excluding VIPs and the user's own linked identities."""
    t = datetime.combine(day, datetime.min.time())
    if "enc_by_admit" not in env:  # sorted once: each burst slices it by binary search
        env["enc_by_admit"] = env["enc"].sort("admit_at")
    enc = env["enc_by_admit"]
    bounds = pl.Series([t - 55 * DAY, t + 55 * DAY]).cast(pl.Datetime("us"))
    lo, hi = enc["admit_at"].search_sorted(bounds).to_list()
    mrns = enc["mrn"].slice(lo, hi - lo).unique().sort()
    bad = env["pairs"].filter(pl.col("user_id") == user_id)["mrn"]
    mrns = mrns.filter(~mrns.is_in(env["vip"].implode()) & ~mrns.is_in(bad.implode()))
    if mrns.len() == 0:
        return pl.DataFrame(schema={"mrn": pl.String})
    pick = rng.permutation(mrns.len())[:k]
    return pl.DataFrame({"mrn": mrns.gather(pick)})


def _burst(
    ctx: GenContext, rule_id: str, roles: tuple[str, ...], n: int, size, actions, detail: str
) -> list[Defect]:
    """Bursts of opens by operational users, one user-day each (ACC-007 and ACC-008)."""
    env, rng = _env(ctx), ctx.rng(f"inject:{rule_id}")
    cand = _ops_day_candidates(env, rng, roles, 40 * n)
    bursts = []
    for row in cand.iter_rows(named=True):  # 3n candidate user-days, checked in one batch
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
    """Expected charts per working day of one member of ``role`` (the builder's model)."""
    p = {r: prob for r, prob, *_ in acc._PURPOSES}.get(role, 0.0)
    days = max((env["cap"] - env["lo"]).days, 1)
    t = datetime.combine(day, datetime.min.time())
    m = env["model"].filter(
        pl.col("group") == role,
        pl.col("hired_at") <= t,
        pl.col("terminated_at").is_null() | (pl.col("terminated_at") > t),
    )
    return p * env["enc"].height / days * 7 / 5 / max(m.height, 1)


@injector("ACC-007", tables=("access_log",))
def inject_volume_spike(ctx: GenContext, rate: float) -> list[Defect]:
    """An operational user opens many distinct charts in one day (basic ~10×, advanced ~3×
    their usual day, always at least 25 / 18 more than usual)."""
    env = _env(ctx)

    def size(env: dict[str, Any], row: dict[str, Any], rng) -> tuple[int, int]:
        lam = max(1.0, _role_daily_rate(env, row["group"], row["day"]))
        k = int(np.ceil(max(3.4 * lam, lam + 18) if env["advanced"] else max(10 * lam, lam + 25)))
        return k, k + int(rng.integers(0, max(k // 5, 1) + 1))

    n = _count(
        rate, env["model"].filter(pl.col("group").is_in(("him", "billing", "registration"))).height
    )
    return _burst(
        ctx,
        "ACC-007",
        ("him", "billing", "registration"),
        n,
        size,
        ("view",),
        "distinct patients in one day far above the user's usual volume",
    )


@injector("ACC-008", tables=("access_log",))
def inject_print_burst(ctx: GenContext, rate: float) -> list[Defect]:
    """An HIM or billing user prints/exports a few charts over and over within two hours
    (basic 25–40 outputs; advanced 11–14, just over the threshold of 10)."""
    env = _env(ctx)

    def size(env: dict[str, Any], row: dict[str, Any], rng) -> tuple[int, int]:
        outputs = int(rng.integers(11, 15) if env["advanced"] else rng.integers(25, 41))
        return int(rng.integers(3, 6)), outputs

    n = _count(rate, env["model"].filter(pl.col("group").is_in(("him", "billing"))).height)
    return _burst(
        ctx,
        "ACC-008",
        ("him", "billing"),
        n,
        size,
        ("print", "export"),
        "burst of prints/exports in one day",
    )


@injector("ACC-009", tables=("access_log",))
def inject_btg_without_reason(ctx: GenContext, rate: float) -> list[Defect]:
    """A treating clinician breaks the glass without a reason (advanced: a placeholder)."""
    env, rng = _env(ctx), ctx.rng("inject:ACC-009")
    clin = env["model"].filter(pl.col("group") == "clinical")
    links = env["links"].join(clin.select("user_id"), on="user_id")
    n = _count(rate, clin.height)
    if links.is_empty() or n <= 0:
        return []
    base = _sample(links, 30 * n, rng)
    cand = in_shift(with_users(env, base.select("user_id", "mrn", _stay_days(base, rng))), rng)
    cand = cand.join(
        base.select("user_id", "mrn", "encounter_class").unique(["user_id", "mrn"]),
        on=["user_id", "mrn"],
        how="left",
    )
    keep = pl.col("employed") & pl.col("treated") & (pl.col("pair").fill_null("") != "self")
    # emergency charts first: where break-the-glass happens in real life
    ev = _finish(ctx, env, cand, rng, keep, n, prefer=pl.col("encounter_class") != "emergency")
    if ev.is_empty():
        return []
    fillers = ["n/a", "N/A", ".", "  ", "none", "test", "-"]
    reason = (
        [fillers[i] for i in rng.integers(0, len(fillers), ev.height)]
        if env["advanced"]
        else [None] * ev.height
    )
    ev = ev.with_columns(btg=pl.lit(True), btg_reason=pl.Series(reason, dtype=pl.String))
    return emit(ctx, "ACC-009", ev, rng, "break-the-glass with no usable reason")
