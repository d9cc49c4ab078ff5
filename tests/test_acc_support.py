"""A small synthetic hospital for the ACC tests (users, patients, encounters, care_team).

Used until/unless the project's base builders are available; it reproduces the features the
ACC rules depend on: ~5% of users are also patients (same name, birth date, address), some of
them in a household (shared surname, address, phone), VIP patients, terminated users.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.profile import Profile

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Maria",
    "Wei",
    "Aisha",
    "Omar",
    "Priya",
    "Diego",
    "Chloe",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "O'Brien",
    "Nguyen",
]
ROLES = (
    ["physician"] * 18
    + ["resident"] * 6
    + ["nurse"] * 40
    + ["therapist"] * 6
    + ["him"] * 8
    + ["billing"] * 8
    + ["registration"] * 8
    + ["it"] * 2
    + ["admin"] * 4
)


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "first_name": rng.choice(FIRST, n),
        "last_name": rng.choice(LAST, n),
        "birth_date": np.datetime64("1940-01-01") + rng.integers(0, 60 * 365, n),
        "address": np.array(
            [
                f"{a} {s} St"
                for a, s in zip(
                    rng.integers(1, 9999, n),
                    rng.choice(["Oak", "Pine", "Elm", "Main", "Lake", "Hill"], n),
                    strict=True,
                )
            ]
        ),
        "phone": np.array(
            [
                f"555-{a:03d}-{b:04d}"
                for a, b in zip(rng.integers(100, 999, n), rng.integers(0, 9999, n), strict=True)
            ]
        ),
    }


def mini_hospital(
    n_patients: int = 3000,
    n_users: int = 300,
    seed: int = 1,
    defects: dict[str, float] | None = None,
    difficulty: str = "basic",
) -> GenContext:
    prof = Profile(
        name="acc-test",
        description="",
        patients=n_patients,
        start=date(2024, 1, 1),
        end=date(2025, 12, 31),
        as_of=date(2026, 1, 1),
        states=("FL",),
        facility_id="FAC01",
        mix={"difficulty": difficulty},
        defects=defects or {},
    )
    ctx = GenContext(profile=prof, seed=seed)
    rng = np.random.default_rng(seed)
    u = _people(rng, n_users)
    hired = np.datetime64("2015-01-01") + rng.integers(0, 10 * 365, n_users)
    term = np.where(
        rng.random(n_users) < 0.1, hired + rng.integers(200, 2000, n_users), np.datetime64("NaT")
    )
    users = pl.DataFrame(
        {
            "user_id": [f"U{i:06d}" for i in range(1, n_users + 1)],
            **u,
            "role": rng.choice(ROLES, n_users),
            "hired_at": pl.Series(hired).cast(pl.Datetime("us")),
            "terminated_at": pl.Series(term).cast(pl.Datetime("us")),
        }
    )
    p = _people(rng, n_patients)
    # households: every 10th patient joins the previous patient's household
    for i in range(1, n_patients, 10):
        p["last_name"][i] = p["last_name"][i - 1]
        p["address"][i] = p["address"][i - 1]
        p["phone"][i] = p["phone"][i - 1]
    # ~5% of users are also patients (identical name, birth date, address), some in households
    k = max(n_users // 20, 2)
    for j, i in enumerate(range(0, k * 10, 10)):
        for f in ("first_name", "last_name", "birth_date", "address", "phone"):
            p[f][i] = u[f][j]
        p["last_name"][i + 1], p["address"][i + 1], p["phone"][i + 1] = (
            u["last_name"][j],
            u["address"][j],
            u["phone"][j],
        )
    patients = pl.DataFrame(
        {
            "mrn": [f"M{i:08d}" for i in range(1, n_patients + 1)],
            **p,
            "is_vip": rng.random(n_patients) < 0.01,
        }
    )
    n_enc = int(n_patients * 2.5)
    admit = (
        (np.datetime64("2024-01-01T00:00") + rng.integers(0, 729 * 24 * 60, n_enc))
        .astype("datetime64[m]")
        .astype("datetime64[us]")
    )
    cls = rng.choice(
        ["inpatient", "outpatient", "emergency", "observation", "ambulatory"],
        n_enc,
        p=[0.2, 0.35, 0.2, 0.05, 0.2],
    )
    los_min = np.where(cls == "inpatient", rng.integers(1, 8, n_enc) * 1440, 180)
    physicians = users.filter(pl.col("role") == "physician")["user_id"].to_numpy()
    nurses = users.filter(pl.col("role").is_in(["nurse", "therapist", "resident"]))
    nurses = nurses["user_id"].to_numpy()
    enc = pl.DataFrame(
        {
            "encounter_id": [f"E{i:09d}" for i in range(1, n_enc + 1)],
            "mrn": rng.choice(patients["mrn"].to_numpy(), n_enc),
            "encounter_class": cls,
            "admit_at": pl.Series(admit).cast(pl.Datetime("us")),
            "discharge_at": pl.Series(
                admit + los_min.astype("timedelta64[m]").astype("timedelta64[us]")
            ).cast(pl.Datetime("us")),
            "attending_id": rng.choice(physicians, n_enc),
        }
    )
    ct = pl.DataFrame(
        {
            "encounter_id": np.repeat(enc["encounter_id"].to_numpy(), 2),
            "user_id": rng.choice(nurses, 2 * n_enc),
            "care_role": "nurse",
        }
    )
    ct = pl.concat(
        [ct, enc.select("encounter_id", user_id="attending_id", care_role=pl.lit("attending"))]
    )
    ctx.tables.update(
        users=users,
        patients=patients,
        encounters=enc,
        care_team=ct.unique(["encounter_id", "user_id"]).sort("encounter_id"),
    )
    _ = timedelta, datetime
    return ctx
