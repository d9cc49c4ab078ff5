"""The workforce roster from HR: roles, departments, specialties, NPIs, hires, terminations.

About 5% of the workforce are also patients of the hospital (employees are patients too):
their MPI row carries exactly the same name, birth date, address and phone — the only link,
as in a real HR feed, so self-access and family-access rules must find them by identity.
Every clinical department keeps at least one physician and one nurse employed for the whole
window ("anchors"), so an attending can always be found for any encounter date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.pools import phones, text_series
from himaudit.generate.registry import table_builder
from himaudit.generate.tables.patients import YEAR, day, mix

#: Clinical departments → physician specialty (the E/M peer group).
CLINICAL_DEPARTMENTS: dict[str, str] = {
    "Emergency Medicine": "emergency_medicine",
    "Internal Medicine": "internal_medicine",
    "Family Medicine": "family_medicine",
    "General Surgery": "general_surgery",
    "Orthopedic Surgery": "orthopedic_surgery",
    "Cardiology": "cardiology",
    "Obstetrics and Gynecology": "obstetrics_gynecology",
    "Pediatrics": "pediatrics",
    "Oncology": "oncology",
    "Neurology": "neurology",
    "Psychiatry": "psychiatry",
}
OPERATIONAL_DEPARTMENTS: dict[str, str] = {
    "him": "Health Information Management",
    "billing": "Patient Financial Services",
    "registration": "Patient Access",
    "it": "Information Technology",
    "admin": "Administration",
    "therapist": "Rehabilitation Services",
}
# Hospital workforce shares by role (BLS OES 622100 "General Medical and Surgical Hospitals",
# rounded: RNs ~30% of hospital employment, physicians+residents ~10-12%, office/admin ~20%).
DEFAULT_ROLE_SHARES = {
    "physician": 0.14, "resident": 0.05, "nurse": 0.40, "therapist": 0.06, "him": 0.05,
    "billing": 0.07, "registration": 0.09, "it": 0.05, "admin": 0.09,
}  # fmt: skip
PROVIDER_ROLES = ("physician", "resident", "therapist")  # carry an NPI


@table_builder("users", after=("patients",))
def build(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("users")
    prof, pools = ctx.profile, ctx.pools
    start, end, as_of = day(prof.start), day(prof.end), day(prof.as_of)
    depts = list(CLINICAL_DEPARTMENTS)
    shares = {**DEFAULT_ROLE_SHARES, **prof.mix.get("role_shares", {})}
    total = max(150, round(prof.patients * mix(ctx, "users_per_patient", 0.03)))
    floors = {"physician": 3 * len(depts), "nurse": 3 * len(depts), "resident": 6, "therapist": 3}
    counts = {r: max(floors.get(r, 3), round(total * s)) for r, s in shares.items()}

    role = np.concatenate([np.full(c, r, dtype=object) for r, c in counts.items()])
    n = len(role)
    dept = np.empty(n, dtype=object)
    anchor = np.zeros(n, dtype=bool)
    for r in counts:
        idx = np.flatnonzero(role == r)
        if r in ("physician", "nurse", "resident"):
            # Round-robin first so every department has staff, then random.
            d = np.array(depts, dtype=object)[np.arange(len(idx)) % len(depts)]
            d[len(depts) :] = rng.choice(depts, max(len(idx) - len(depts), 0))
            dept[idx] = d
            if r != "resident":
                anchor[idx[: len(depts)]] = True
        else:
            dept[idx] = OPERATIONAL_DEPARTMENTS[r]
    spec = np.where(role == "physician", [CLINICAL_DEPARTMENTS.get(d, "") for d in dept], None)

    before = rng.random(n) < 0.6
    hire = np.where(
        before,
        start - rng.integers(60, int(25 * YEAR), n),
        start + (rng.random(n) * (end - 180 - start)).astype(np.int64),
    )
    hire[anchor] = start - rng.integers(int(YEAR), int(15 * YEAR), anchor.sum())
    lo, hi = np.where(role == "resident", 26, 23), np.where(role == "resident", 33, 52)
    birth = hire - (rng.uniform(lo, hi) * YEAR).astype(np.int64)
    birth[anchor] = np.maximum(birth[anchor], as_of - int(66 * YEAR))

    sex = np.where(rng.random(n) < 0.6, "F", "M").astype(object)
    first, last = pools.first_names(rng, sex), pools.last_names(rng, n)
    address = pools.addresses(rng, n)
    place = pools.places(rng, n, 0.99)
    phone = phones(rng, n, offset=4_000_000_000, space=1_000_000_000)

    # Employees who are also patients: copy the MPI identity verbatim.
    pats = ctx.tables["patients"]
    eligible = pats.with_row_index("i").filter(
        pl.col("death_date").is_null(),
        pl.col("birth_date").is_between(
            prof.as_of.replace(year=prof.as_of.year - 64), prof.end.replace(year=prof.end.year - 26)
        ),
    )
    k = min(round(n * mix(ctx, "employee_patient_share", 0.05)), eligible.height)
    who = rng.choice(np.flatnonzero(~anchor), k, replace=False)
    src = eligible[np.sort(rng.choice(eligible.height, k, replace=False))]
    first[who], last[who] = src["first_name"].to_numpy(), src["last_name"].to_numpy()
    address[who], phone[who] = src["address"].to_numpy(), src["phone"].to_numpy()
    birth[who] = src["birth_date"].cast(pl.Int32).to_numpy()
    place = _overwrite(place, who, src.select("city", "state", "zip"))
    hire = np.maximum(hire, birth + int(22 * YEAR))
    hire[anchor] = np.minimum(hire[anchor], start - 30)  # anchors: employed for the whole window

    # Terminations: residents finish in 3-5 years, the old retire, ~12% of others leave.
    term = np.full(n, np.iinfo(np.int64).max)
    res = role == "resident"
    term[res] = hire[res] + (rng.uniform(3, 5, res.sum()) * YEAR).astype(np.int64)
    retire = birth + (rng.uniform(62, 70, n) * YEAR).astype(np.int64)
    old = ~res & (retire < as_of - 30)
    term[old] = np.maximum(retire[old], hire[old] + int(YEAR))
    leaves = ~res & ~old & (rng.random(n) < mix(ctx, "termination_share", 0.12))
    room = np.maximum(as_of - 30 - (hire + int(YEAR)), 0)
    term[leaves] = (
        hire[leaves] + int(YEAR) + (rng.random(leaves.sum()) * room[leaves]).astype(np.int64)
    )
    term[anchor] = np.iinfo(np.int64).max
    terminated = term < as_of - 1

    ids = rng.choice(1_000_000, n, replace=False)
    secs = rng.integers(7 * 3600, 10 * 3600, n)
    df = pl.DataFrame(
        [
            pl.Series("user_id", ids).cast(pl.String).str.zfill(6),
            text_series("first_name", first),
            text_series("last_name", last),
            pl.Series("birth_date", birth).cast(pl.Int32).cast(pl.Date),
            text_series("address", address),
            text_series("phone", phone),
            text_series("role", role),
            text_series("department", dept),
            text_series("specialty", spec),
            pl.Series("npi", npis(rng, n)),
            pl.Series("hired_at", hire * 86400 + secs),
            pl.Series("terminated_at", np.where(terminated, term, 0) * 86400 + secs),
            pl.Series("terminated", terminated),
            pl.Series("anchor", anchor),
        ]
    ).with_columns(
        ("U" + pl.col("user_id")).alias("user_id"),
        pl.when(pl.col("role").is_in(PROVIDER_ROLES)).then(pl.col("npi")).alias("npi"),
        pl.from_epoch("hired_at", time_unit="s"),
        pl.when(pl.col("terminated"))
        .then(pl.from_epoch("terminated_at", time_unit="s"))
        .alias("terminated_at"),
    )
    df = pl.concat([df.drop("terminated"), place], how="horizontal").sort("user_id")
    ctx.meta["anchor_users"] = df.filter("anchor")["user_id"]
    return df.drop("anchor")


def _overwrite(frame: pl.DataFrame, rows: np.ndarray, values: pl.DataFrame) -> pl.DataFrame:
    """Replace ``frame`` rows ``rows`` with ``values`` (same columns), keeping row order."""
    idx = np.arange(frame.height)
    idx[rows] = frame.height + np.arange(values.height)
    return pl.concat([frame, values])[idx]


def npis(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique 10-digit NPIs: 9 digits starting with 1, then the Luhn check digit computed
    with the ``80840`` prefix (the NPI standard's card-issuer prefix)."""
    base = 100_000_000 + rng.choice(100_000_000, n, replace=False)
    digits = np.stack([(base // 10**k) % 10 for k in range(8, -1, -1)], axis=1)
    payload = np.hstack([np.tile([8, 0, 8, 4, 0], (n, 1)), digits])
    # Double every second digit from the right of the payload (the check digit goes after it).
    dbl = payload[:, ::-1][:, ::2] * 2
    total = (dbl // 10 + dbl % 10).sum(axis=1) + payload[:, ::-1][:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    return (base * 10 + check).astype(str)
