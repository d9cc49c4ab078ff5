"""The master patient index: one row per person, with realistic hard negatives.

Clean data has no duplicated persons, but it has everything a matcher must *not* merge:
households (shared surname, address, phone), twins (same birth date and address, different
first name and SSN), juniors/seniors (same full name and address, born 18+ years apart, no
suffix), common names (Faker's census-weighted name frequencies) and ~10% missing SSNs.
Each patient also gets an *active span* (first to last activity) handed to the encounters
builder in ``ctx.meta`` so some records go quiet 10+ years before as-of (retention rules).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.pools import phone_expr, phone_serials, pick, ssn_expr, ssn_serials
from himaudit.generate.registry import table_builder

EPOCH = date(1970, 1, 1)
YEAR = 365.25
# 2020 US Census (DP1 / ACS 5-year) population shares by age band; overridable in [mix].
DEFAULT_AGE_BANDS = [
    [0, 4, 5.7], [5, 9, 6.0], [10, 14, 6.3], [15, 19, 6.6], [20, 24, 6.4], [25, 29, 6.8],
    [30, 34, 6.8], [35, 39, 6.6], [40, 44, 6.3], [45, 49, 6.0], [50, 54, 6.3], [55, 59, 6.5],
    [60, 64, 6.4], [65, 69, 5.5], [70, 74, 4.6], [75, 79, 3.2], [80, 84, 2.0], [85, 99, 1.9],
]  # fmt: skip


def day(d: date) -> int:
    return (d - EPOCH).days


def mix(ctx: GenContext, key: str, default: float) -> float:
    return float(ctx.profile.mix.get(key, default))


@table_builder("patients")
def build(ctx: GenContext) -> pl.DataFrame:
    # Everything is integers (pool indices, serials, day numbers) until the very end, where
    # polars turns them into strings in one vectorised pass: object arrays are 10x slower.
    rng = ctx.rng("patients")
    prof, pools, n = ctx.profile, ctx.pools, ctx.profile.patients
    start, end, as_of = day(prof.start), day(prof.end), day(prof.as_of)
    ref = (start + end) // 2  # ages follow the census mix at the window's midpoint

    fem = rng.random(n) < mix(ctx, "female_share", 0.505)
    bands = np.array(prof.mix.get("age_bands", DEFAULT_AGE_BANDS), dtype=float)
    band = rng.choice(len(bands), n, p=bands[:, 2] / bands[:, 2].sum())
    age_days = (bands[band, 0] + rng.random(n) * (bands[band, 1] + 1 - bands[band, 0])) * YEAR
    birth = ref - age_days.astype(np.int64)

    # Households: consecutive rows form a group sharing surname, address, place and phone.
    size_p = np.array(prof.mix.get("household_sizes", [0.62, 0.2, 0.09, 0.06, 0.03]), dtype=float)
    sizes = rng.choice(np.arange(1, len(size_p) + 1), n, p=size_p / size_p.sum())
    group = np.repeat(np.arange(n), sizes)[:n]
    head = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])[group]
    rank = np.arange(n) - head
    multi = np.bincount(group, minlength=n)[group] > 1
    young_head = multi & (rank == 0) & (birth > ref - 25 * YEAR)
    birth[young_head] = ref - (rng.uniform(25, 60, young_head.sum()) * YEAR).astype(np.int64)
    spouse = rank == 1
    birth[spouse] = birth[head[spouse]] + (rng.normal(0, 3, spouse.sum()) * YEAR).astype(np.int64)
    fem[spouse] = np.where(rng.random(spouse.sum()) < 0.9, ~fem[head[spouse]], fem[spouse])
    child = rank >= 2
    birth[child] = birth[head[child]] + (rng.uniform(20, 40, child.sum()) * YEAR).astype(np.int64)
    birth = np.clip(birth, as_of - int(105 * YEAR), end - 30)

    first = pools.first_idx(rng, fem)
    middle = pools.first_idx(rng, fem)
    middle[rng.random(n) >= mix(ctx, "middle_name_share", 0.7)] = -1
    last = pools.last_idx(rng, n)[head]
    house = rng.integers(1, 9999, n)[head]
    street = rng.integers(0, len(pools.streets), n)[head]
    apt = np.where(rng.random(n) < 0.12, rng.integers(1, 400, n), 0)[head]
    place = pools.place_idx(rng, n, mix(ctx, "local_share", 0.95))[head]
    phone = phone_serials(rng, n)[head]
    phone[(rng.random(n) < 0.03)[head]] = -1

    single = np.flatnonzero(~multi)
    rng.shuffle(single)
    n_twin = int(n * mix(ctx, "twin_pair_share", 0.003))
    twins_a, twins_b = single[:n_twin], single[n_twin : 2 * n_twin]
    rest = single[2 * n_twin :]
    old = rest[birth[rest] <= end - int(48 * YEAR)]
    n_jr = min(int(n * mix(ctx, "junior_pair_share", 0.002)), len(old) // 2)
    senior = old[:n_jr]
    junior = rest[~np.isin(rest, senior)][:n_jr]
    # Twins: same birth date, surname and home; a different first name and SSN.
    home = (last, house, street, apt, place, phone, group)
    for col in (*home, birth):
        col[twins_b] = col[twins_a]
    for _ in range(20):
        clash = first[twins_b] == first[twins_a]
        if not clash.any():
            break
        first[twins_b[clash]] = pools.first_idx(rng, fem[twins_b[clash]])
    # Junior/senior: same full name and home, both male, born 18-45 years apart, no suffix.
    fem[senior] = fem[junior] = False
    first[senior] = pools.first_idx(rng, fem[senior])
    middle[senior] = np.where(middle[senior] >= 0, pools.first_idx(rng, fem[senior]), -1)
    for col in (first, middle, *home):
        col[junior] = col[senior]
    birth[junior] = birth[senior] + (rng.uniform(18, 45, n_jr) * YEAR).astype(np.int64)

    # One draw without replacement: nobody shares an SSN; twins always carry theirs.
    drawn = ssn_serials(rng, n + 2 * n_twin)
    ssn = drawn[:n]
    ssn[rng.random(n) < mix(ctx, "ssn_missing_share", 0.10)] = -1
    ssn[np.r_[twins_a, twins_b]] = drawn[n:]

    # Active span: first activity uniform over [max(start, birth), end], length ~ exponential.
    earliest = np.maximum(start, birth)
    span_start = earliest + (rng.random(n) * (end - earliest)).astype(np.int64)
    length = 60 + rng.exponential(mix(ctx, "span_mean_years", 4.0) * YEAR, n).astype(np.int64)
    span_end = np.minimum(span_start + length, end)

    # Deceased: more often the old; death always 40+ days after the last possible discharge.
    age_as_of = (as_of - birth) / YEAR
    p_dead = mix(ctx, "deceased_share", 0.04) * np.where(age_as_of > 75, 3.0, 0.5)
    room = as_of - 1 - (span_end + 40)
    dead = ((rng.random(n) < p_dead) | (age_as_of > 100)) & (room >= 0)
    death = np.where(
        dead, span_end + 40 + (rng.random(n) * np.maximum(room, 0)).astype(np.int64), -1
    )

    reg_day = np.maximum(span_start - rng.integers(0, 15, n), birth)
    registered = reg_day * 86400 + rng.integers(6 * 3600, 20 * 3600, n)
    mrn_num = rng.choice(100_000_000, n, replace=False)
    vip = rng.random(n) < mix(ctx, "vip_share", 0.005)

    o = np.argsort(mrn_num)  # rows in MRN order; strings are built once, already sorted
    ints = pl.DataFrame(
        {
            "mrn": mrn_num[o], "fem": fem[o], "birth": birth[o], "death": death[o],
            "ssn": ssn[o], "house": house[o], "apt": apt[o], "phone": phone[o],
            "registered": registered[o], "is_vip": vip[o], "span_start": span_start[o],
            "span_end": span_end[o], "household": group[o],
        }
    )  # fmt: skip
    places = pools.cities[place[o]]
    df = ints.select(
        ("M" + pl.col("mrn").cast(pl.String).str.zfill(8)).alias("mrn"),
        pl.lit(prof.facility_id).alias("facility_id"),
        pick(pools.first_all, first[o], "first_name"),
        pick(pools.first_all, middle[o], "middle_name"),
        pick(pools.last_all, last[o], "last_name"),
        pl.when(pl.col("fem")).then(pl.lit("F")).otherwise(pl.lit("M")).alias("sex"),
        pl.col("birth").cast(pl.Int32).cast(pl.Date).alias("birth_date"),
        pl.when(pl.col("death") >= 0)
        .then(pl.col("death"))
        .cast(pl.Int32)
        .cast(pl.Date)
        .alias("death_date"),
        ssn_expr(pl.when(pl.col("ssn") >= 0).then(pl.col("ssn"))).alias("ssn"),
        pl.format(
            "{} {}{}",
            pl.col("house"),
            pick(pools.street_all, street[o], "street"),
            pl.when(pl.col("apt") > 0)
            .then(pl.format(" Apt {}", pl.col("apt")))
            .otherwise(pl.lit("")),
        ).alias("address"),
        places["city"],
        places["state"],
        places["zip"],
        phone_expr(pl.when(pl.col("phone") >= 0).then(pl.col("phone"))).alias("phone"),
        pl.from_epoch("registered", time_unit="s").alias("registered_at"),
        "is_vip",
        pl.col("span_start", "span_end").cast(pl.Int32).cast(pl.Date),
        "household",
    )
    ctx.meta["patient_span"] = df.select("mrn", "span_start", "span_end")
    ctx.meta["household"] = df.select("mrn", "household")
    return df.drop("span_start", "span_end", "household")
