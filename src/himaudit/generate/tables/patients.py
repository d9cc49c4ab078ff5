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
from himaudit.generate.pools import phones, ssns, text_series
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
    rng = ctx.rng("patients")
    prof, pools, n = ctx.profile, ctx.pools, ctx.profile.patients
    start, end, as_of = day(prof.start), day(prof.end), day(prof.as_of)
    ref = (start + end) // 2  # ages follow the census mix at the window's midpoint

    sex = np.where(rng.random(n) < mix(ctx, "female_share", 0.505), "F", "M").astype(object)
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
    sex[spouse] = np.where(
        rng.random(spouse.sum()) < 0.9, np.where(sex[head[spouse]] == "F", "M", "F"), sex[spouse]
    )
    child = rank >= 2
    birth[child] = birth[head[child]] + (rng.uniform(20, 40, child.sum()) * YEAR).astype(np.int64)
    birth = np.clip(birth, as_of - int(105 * YEAR), end - 30)

    first = pools.first_names(rng, sex)
    middle = pools.first_names(rng, sex)
    middle[rng.random(n) >= mix(ctx, "middle_name_share", 0.7)] = None
    last = pools.last_names(rng, n)[head]
    address = pools.addresses(rng, n)[head]
    place = pools.places(rng, n, mix(ctx, "local_share", 0.95))[head]
    phone = phones(rng, n)[head]
    phone[(rng.random(n) < 0.03)[head]] = None

    single = np.flatnonzero(~multi)
    rng.shuffle(single)
    n_twin = int(n * mix(ctx, "twin_pair_share", 0.003))
    twins_a, twins_b = single[:n_twin], single[n_twin : 2 * n_twin]
    rest = single[2 * n_twin :]
    old_male = rest[birth[rest] <= end - int(48 * YEAR)]
    n_jr = min(int(n * mix(ctx, "junior_pair_share", 0.002)), len(old_male) // 2)
    senior = old_male[:n_jr]
    junior = rest[~np.isin(rest, senior)][:n_jr]
    # Twins: same birth date, surname and home; a different first name and SSN.
    for col in (last, address, phone, birth):
        col[twins_b] = col[twins_a]
    for _ in range(20):
        clash = first[twins_b] == first[twins_a]
        if not clash.any():
            break
        first[twins_b[clash]] = pools.first_names(rng, sex[twins_b[clash]])
    # Junior/senior: same full name and home, same sex, born 18-45 years later, no suffix.
    sex[senior] = sex[junior] = "M"
    first[senior] = pools.first_names(rng, sex[senior])
    middle[senior] = pools.first_names(rng, sex[senior])
    for col in (first, middle, last, address, phone):
        col[junior] = col[senior]
    birth[junior] = birth[senior] + (rng.uniform(18, 45, n_jr) * YEAR).astype(np.int64)
    place = _copy_rows(place, np.r_[twins_b, junior], np.r_[twins_a, senior])
    group[twins_b], group[junior] = group[twins_a], group[senior]

    # One draw without replacement: nobody shares an SSN; twins always carry theirs.
    drawn = ssns(rng, n + 2 * n_twin)
    ssn = drawn[:n]
    ssn[rng.random(n) < mix(ctx, "ssn_missing_share", 0.10)] = None
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
    death = span_end + 40 + (rng.random(n) * np.maximum(room, 0)).astype(np.int64)

    reg_day = np.maximum(span_start - rng.integers(0, 15, n), birth)
    registered = reg_day * 86400 + rng.integers(6 * 3600, 20 * 3600, n)
    mrn_num = rng.choice(100_000_000, n, replace=False)
    vip = rng.random(n) < mix(ctx, "vip_share", 0.005)

    text = {"first_name": first, "middle_name": middle, "last_name": last, "sex": sex,
            "ssn": ssn, "address": address, "phone": phone}  # fmt: skip
    df = pl.DataFrame(
        [
            pl.Series("mrn", mrn_num).cast(pl.String).str.zfill(8),
            *(text_series(k, v) for k, v in text.items()),
            pl.Series("birth_date", birth).cast(pl.Int32).cast(pl.Date),
            pl.Series("death_date", death).cast(pl.Int32).cast(pl.Date),
            pl.Series("registered_at", registered),
            pl.Series("is_vip", vip),
            pl.Series("span_start", span_start).cast(pl.Int32).cast(pl.Date),
            pl.Series("span_end", span_end).cast(pl.Int32).cast(pl.Date),
            pl.Series("household", group),
        ]
    ).with_columns(
        ("M" + pl.col("mrn")).alias("mrn"),
        pl.lit(prof.facility_id).alias("facility_id"),
        pl.when(pl.Series(dead)).then(pl.col("death_date")).alias("death_date"),
        pl.from_epoch("registered_at", time_unit="s"),
    )
    df = pl.concat([df, place], how="horizontal").sort("mrn")
    ctx.meta["patient_span"] = df.select("mrn", "span_start", "span_end")
    ctx.meta["household"] = df.select("mrn", "household")
    return df.drop("span_start", "span_end", "household")


def _copy_rows(place: pl.DataFrame, dst: np.ndarray, src: np.ndarray) -> pl.DataFrame:
    """Row ``dst[i]`` of ``place`` takes the values of row ``src[i]``."""
    idx = np.arange(place.height)
    idx[dst] = src
    return place[idx]
