"""Name, street and city pools built once with Faker, then sampled vectorised.

Faker per row runs at ~5.5k people/s (FACTS.md); drawing from pools with numpy indices is
four orders of magnitude faster. Faker is used only here, seeded with ``seed_instance``, and
the pools are cached per (seed, states) so tests and repeated runs pay the ~0.3 s once.
Name frequencies are Faker's en_US weights (US Census-derived), so common names are common —
which is realistic for MPI matching (many unrelated people share a full name).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

#: Pools are vocabulary, not per-dataset randomness: a fixed Faker seed keeps them stable
#: across datasets, so golden files only move when faker (pinned) moves.
POOL_SEED = 20260101
N_STREETS = 4000
N_CITIES_PER_STATE = 120
N_CITIES_OTHER = 300


@dataclass(frozen=True)
class NamePools:
    first_female: np.ndarray  # object arrays of str
    first_female_p: np.ndarray  # probabilities (sum 1)
    first_male: np.ndarray
    first_male_p: np.ndarray
    last: np.ndarray
    last_p: np.ndarray
    streets: np.ndarray  # street names without number ("Maple Avenue")
    cities: pl.DataFrame  # city, state, zip, local (True = in a facility state)

    def first_names(self, rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
        """First names matching each row's sex (F/M; anything else draws from both)."""
        out = np.empty(len(sex), dtype=object)
        female = sex == "F"
        male = sex == "M"
        other = ~(female | male)
        out[female] = rng.choice(self.first_female, female.sum(), p=self.first_female_p)
        out[male] = rng.choice(self.first_male, male.sum(), p=self.first_male_p)
        if other.any():
            both = np.concatenate([self.first_female, self.first_male])
            out[other] = rng.choice(both, other.sum())
        return out

    def last_names(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(self.last, n, p=self.last_p)

    def addresses(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Street addresses: house number + street, ~12% with an apartment number."""
        num = rng.integers(1, 9999, n).astype(str).astype(object)
        street = rng.choice(self.streets, n)
        addr = num + " " + street
        apt = rng.random(n) < 0.12
        addr[apt] = addr[apt] + " Apt " + rng.integers(1, 400, apt.sum()).astype(str).astype(object)
        return addr

    def places(self, rng: np.random.Generator, n: int, local_share: float = 0.95) -> pl.DataFrame:
        """(city, state, zip) rows: ``local_share`` in the facility states, the rest elsewhere."""
        local = self.cities.filter(pl.col("local"))
        other = self.cities.filter(~pl.col("local"))
        is_local = rng.random(n) < local_share
        idx_local = rng.integers(0, local.height, n)
        idx_other = rng.integers(0, max(other.height, 1), n)
        loc = local.select("city", "state", "zip")[idx_local]
        if other.height:
            oth = other.select("city", "state", "zip")[idx_other]
            mask = pl.Series(is_local)
            loc = loc.select(
                pl.when(mask).then(loc[c]).otherwise(oth[c]).alias(c) for c in loc.columns
            )
        return loc

    # --- index-based sampling: integers now, strings once at the end (the fast path) ---

    def first_idx(self, rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
        """Indices into ``first_all`` (female names first, then male) by sex."""
        out = np.empty(len(female), dtype=np.int64)
        nf = len(self.first_female)
        out[female] = rng.choice(nf, int(female.sum()), p=self.first_female_p)
        out[~female] = nf + rng.choice(
            len(self.first_male), int((~female).sum()), p=self.first_male_p
        )
        return out

    @property
    def first_all(self) -> pl.Series:
        return pl.Series(
            np.concatenate([self.first_female, self.first_male]).tolist(), dtype=pl.String
        )

    @property
    def last_all(self) -> pl.Series:
        return pl.Series(self.last.tolist(), dtype=pl.String)

    @property
    def street_all(self) -> pl.Series:
        return pl.Series(self.streets.tolist(), dtype=pl.String)

    def last_idx(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.last), n, p=self.last_p)

    def place_idx(self, rng: np.random.Generator, n: int, local_share: float = 0.95) -> np.ndarray:
        """Row indices into ``cities``: ``local_share`` in the facility states."""
        local = np.flatnonzero(self.cities["local"].to_numpy())
        other = np.flatnonzero(~self.cities["local"].to_numpy())
        idx = local[rng.integers(0, len(local), n)]
        if len(other):
            away = rng.random(n) >= local_share
            idx[away] = other[rng.integers(0, len(other), int(away.sum()))]
        return idx


def pick(values: pl.Series, idx: np.ndarray, name: str) -> pl.Series:
    """``values[idx]`` as a named Series; negative indices give null."""
    i = pl.Series(idx)
    return values.gather(i.set(i < 0, None)).alias(name)


def phone_expr(serial: pl.Expr) -> pl.Expr:
    """``NNN-NNN-NNNN`` from a phone serial (see ``phones``); null stays null."""
    return pl.format(
        "{}-{}-{}",
        (201 + serial // 8_000_000 % 789).cast(pl.String),
        (200 + serial // 10_000 % 800).cast(pl.String),
        (serial % 10_000).cast(pl.String).str.zfill(4),
    )


def ssn_expr(serial: pl.Expr) -> pl.Expr:
    """``9XX-XX-XXXX`` from an SSN serial (see ``ssns``); null stays null."""
    return pl.format(
        "{}-{}-{}",
        (900 + serial // (99 * 9999)).cast(pl.String),
        (1 + serial // 9999 % 99).cast(pl.String).str.zfill(2),
        (1 + serial % 9999).cast(pl.String).str.zfill(4),
    )


def phone_serials(
    rng: np.random.Generator, n: int, *, offset: int = 0, space: int = 4_000_000_000
) -> np.ndarray:
    return rng.choice(space, n, replace=False).astype(np.int64) + offset


def ssn_serials(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(100 * 99 * 9999, n, replace=False).astype(np.int64)


def text_series(name: str, values: np.ndarray) -> pl.Series:
    """A String Series from an object array of str/None. (Polars infers an Object column
    from a numpy object array whose first value is None, so go through a list.)"""
    return pl.Series(name, values.tolist(), dtype=pl.String)


def phones(
    rng: np.random.Generator, n: int, *, offset: int = 0, space: int = 4_000_000_000
) -> np.ndarray:
    """Unique ``NNN-NNN-NNNN`` numbers (area 201–989, exchange 200–999): drawn without
    replacement from ``[offset, offset + space)`` so unrelated people never share a phone,
    and different offsets (patients vs workforce) never collide."""
    serial = rng.choice(space, n, replace=False).astype(np.int64) + offset
    area = 201 + serial // 8_000_000 % 789
    exch = 200 + serial // 10_000 % 800
    line = serial % 10_000
    return _fmt3(area, exch, line, 3, 3, 4)


def ssns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique synthetic SSNs ``9XX-XX-XXXX`` (area 900–999 is never issued to a person)."""
    serial = rng.choice(100 * 99 * 9999, n, replace=False).astype(np.int64)
    area = 900 + serial // (99 * 9999)
    group = 1 + serial // 9999 % 99
    ser = 1 + serial % 9999
    return _fmt3(area, group, ser, 3, 2, 4)


def _fmt3(a: np.ndarray, b: np.ndarray, c: np.ndarray, wa: int, wb: int, wc: int) -> np.ndarray:
    s = pl.DataFrame({"a": a, "b": b, "c": c}).select(
        pl.format(
            "{}-{}-{}",
            pl.col("a").cast(pl.String).str.zfill(wa),
            pl.col("b").cast(pl.String).str.zfill(wb),
            pl.col("c").cast(pl.String).str.zfill(wc),
        )
    )
    return s.to_series().to_numpy().astype(object)


@cache
def build_pools(states: tuple[str, ...]) -> NamePools:
    """Build the pools once per process for the given facility states."""
    from faker import Faker
    from faker.providers.address.en_US import Provider as AddressProvider
    from faker.providers.person.en_US import Provider as PersonProvider

    fake = Faker("en_US")
    fake.seed_instance(POOL_SEED)

    def weighted(d: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        names = np.array(list(d.keys()), dtype=object)
        w = np.array(list(d.values()), dtype=float)
        return names, w / w.sum()

    ff, ffp = weighted(PersonProvider.first_names_female)
    fm, fmp = weighted(PersonProvider.first_names_male)
    ln, lnp = weighted(PersonProvider.last_names)
    streets = np.array(sorted({fake.street_name() for _ in range(N_STREETS)}), dtype=object)

    real_states = [s for s in states if s in AddressProvider.states_abbr] or ["NC"]
    rows: list[tuple[str, str, str, bool]] = []
    for st in real_states:
        for _ in range(N_CITIES_PER_STATE):
            rows.append((fake.city(), st, fake.zipcode_in_state(st), True))
    others = [s for s in AddressProvider.states_abbr if s not in real_states and len(s) == 2]
    for _ in range(N_CITIES_OTHER):
        st = others[fake.random_int(0, len(others) - 1)]
        rows.append((fake.city(), st, fake.zipcode_in_state(st), False))
    cities = pl.DataFrame(rows, schema=["city", "state", "zip", "local"], orient="row")
    return NamePools(ff, ffp, fm, fmp, ln, lnp, streets, cities)
