"""Encounters and care teams: who came when, for how long, and who treated them.

Each patient's encounters fall inside the active span the patients builder chose (so some
records are 10+ years quiet at as-of, and the deceased have none after death). Attending
physicians, nurses and other care-team members are always employed from 30 days before
admission to 45 days after discharge, which leaves room for the access log (± 7 d), note
signing (≤ 21 d after discharge) and the roster never to contradict each other.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.pools import text_series
from himaudit.generate.registry import table_builder
from himaudit.generate.staffing import pick_employed, roster
from himaudit.generate.tables.patients import YEAR, day, mix

HOUR = 3600
# Encounter mix by class (share of all encounters). Sources: CDC NAMCS/NHAMCS 2019 visit
# volumes (office ≫ hospital outpatient > ED) and AHA Hospital Statistics (inpatient admissions).
DEFAULT_CLASSES = {
    "ambulatory": 0.46, "outpatient": 0.25, "emergency": 0.16, "inpatient": 0.09, "observation": 0.04,
}  # fmt: skip
DEPARTMENTS = {
    "emergency": {"Emergency Medicine": 1.0},
    "inpatient": {"Internal Medicine": 0.30, "General Surgery": 0.14, "Cardiology": 0.12,
                  "Orthopedic Surgery": 0.10, "Obstetrics and Gynecology": 0.10, "Pediatrics": 0.06,
                  "Oncology": 0.06, "Neurology": 0.06, "Psychiatry": 0.06},
    "observation": {"Internal Medicine": 0.5, "Cardiology": 0.3, "Neurology": 0.1, "General Surgery": 0.1},
    "outpatient": {"General Surgery": 0.25, "Orthopedic Surgery": 0.2, "Oncology": 0.2,
                   "Cardiology": 0.15, "Obstetrics and Gynecology": 0.1, "Neurology": 0.1},
    "ambulatory": {"Family Medicine": 0.35, "Internal Medicine": 0.25, "Pediatrics": 0.1,
                   "Obstetrics and Gynecology": 0.1, "Cardiology": 0.08, "Psychiatry": 0.07,
                   "Neurology": 0.05},
}  # fmt: skip
DISPOSITIONS = {
    "inpatient": {"home": 0.72, "home_health": 0.12, "skilled_nursing": 0.09, "rehab": 0.03,
                  "transfer": 0.02, "left_ama": 0.01, "hospice": 0.01},
    "observation": {"home": 0.9, "home_health": 0.05, "skilled_nursing": 0.05},
    "emergency": {"home": 0.9, "transfer": 0.05, "left_ama": 0.02, "left_without_being_seen": 0.03},
}  # fmt: skip


def _draw(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table), dtype=object)
    p = np.array(list(table.values()), dtype=float)
    return rng.choice(keys, n, p=p / p.sum())


def _length_seconds(rng: np.random.Generator, cls: np.ndarray) -> np.ndarray:
    """Length of stay by class. Inpatient: lognormal, median 3.2 d, mean ≈ 4.5 d (HCUP
    2019 mean LOS 4.6 d), 1-30 d; observation 8-47 h (CMS two-midnight rule); ED median
    ~3 h (NHAMCS); hospital outpatient 1-6 h; office visits 15-75 min."""
    n = len(cls)
    los = rng.integers(15 * 60, 75 * 60, n)
    los = np.where(cls == "outpatient", rng.integers(HOUR, 6 * HOUR, n), los)
    ed = np.clip(rng.lognormal(np.log(3 * HOUR), 0.5, n), HOUR, 12 * HOUR)
    los = np.where(cls == "emergency", ed, los)
    los = np.where(cls == "observation", rng.integers(8 * HOUR, 47 * HOUR, n), los)
    ip = np.clip(rng.lognormal(np.log(3.2 * 86400), 0.8, n), 86400, 30 * 86400)
    return np.where(cls == "inpatient", ip, los).astype(np.int64)


@table_builder("encounters", after=("patients", "users"))
def build(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("encounters")
    prof = ctx.profile
    pats = ctx.tables["patients"].join(ctx.meta["patient_span"], on="mrn", how="left")
    per = rng.poisson(max(mix(ctx, "encounters_per_patient", 3.0) - 1, 0), pats.height) + 1
    p = pats[np.repeat(np.arange(pats.height), per)]
    n = p.height
    s0 = p["span_start"].cast(pl.Int32).to_numpy().astype(np.int64)
    s1 = p["span_end"].cast(pl.Int32).to_numpy().astype(np.int64)
    # Stratified over the span (j-th of k visits in the j-th slice) so visits spread out.
    k = np.repeat(per, per)
    j = np.arange(n) - np.repeat(np.cumsum(per) - per, per)
    d = s0 + ((j + rng.random(n)) / k * (s1 - s0 + 1)).astype(np.int64)
    classes = {**DEFAULT_CLASSES, **prof.mix.get("encounter_classes", {})}
    cls = _draw(rng, classes, n)

    # Clinic and hospital-outpatient visits happen on weekdays in office hours.
    office = (cls == "ambulatory") | (cls == "outpatient")
    weekday = (d + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    d = np.where(office & (weekday >= 5), d + 7 - weekday, d)
    tod = np.where(office, rng.integers(7 * HOUR + 1800, 16 * HOUR + 1800, n), 0)
    busy = rng.random(n) < 0.7  # ED / admissions peak in the day, never stop at night
    tod = np.where(~office & busy, rng.integers(8 * HOUR, 22 * HOUR, n), tod)
    tod = np.where(~office & ~busy, rng.integers(0, 24 * HOUR, n), tod)
    admit = d * 86400 + tod
    reg = p["registered_at"].dt.epoch("s").to_numpy()
    admit = np.maximum(admit, reg + 600)  # never seen before being registered
    cutoff = (day(prof.as_of) - 45) * 86400  # every stay closed ≥ 45 d before as-of
    discharge = np.minimum(admit + _length_seconds(rng, cls), np.maximum(cutoff, admit + HOUR))

    # Department by class, then made age/sex-appropriate (no OB for men, pediatrics < 18).
    dept = np.empty(n, dtype=object)
    for c, table in DEPARTMENTS.items():
        m = cls == c
        dept[m] = _draw(rng, table, int(m.sum()))
    age = (admit // 86400 - p["birth_date"].cast(pl.Int32).to_numpy()) / YEAR
    sex = p["sex"].to_numpy()
    child = (age < 18) & (cls != "emergency")
    dept = np.where(child, "Pediatrics", dept)
    dept = np.where((dept == "Pediatrics") & (age >= 18), "Family Medicine", dept)
    dept = np.where((dept == "Obstetrics and Gynecology") & (sex != "F"), "Internal Medicine", dept)
    dispo = np.full(n, "home", dtype=object)
    for c, table in DISPOSITIONS.items():
        m = cls == c
        dispo[m] = _draw(rng, table, int(m.sum()))

    staff = roster(ctx)
    lo, hi = admit // 86400 - 30, discharge // 86400 + 45
    att = pick_employed(rng, staff, "physician", dept, lo, hi, ctx.meta["anchor_users"])
    df = pl.DataFrame(
        [
            p["mrn"],
            text_series("encounter_class", cls),
            pl.from_epoch(pl.Series("admit_at", admit), time_unit="s"),
            pl.from_epoch(pl.Series("discharge_at", discharge), time_unit="s"),
            att.alias("attending_id"),
            text_series("department", dept),
            text_series("discharge_disposition", dispo),
            p["birth_date"].alias("reg_birth_date"),
            p["sex"].alias("reg_sex"),
        ]
    ).with_columns(pl.lit(prof.facility_id).alias("facility_id"))
    df = df.sort("admit_at", "mrn", maintain_order=True)
    ids = pl.int_range(1, df.height + 1, eager=True).cast(pl.String).str.zfill(9)
    return df.with_columns(("E" + ids).alias("encounter_id"))


# Care-team members besides the attending: (role, care_role, count range per class, chance,
# same department as the encounter?).
TEAM = [
    ("nurse", "nurse", {"inpatient": (2, 4), "observation": (1, 2), "emergency": (1, 2), "outpatient": (1, 1), "ambulatory": (0, 1)}, 1.0, True),
    ("resident", "resident", {"inpatient": (1, 1), "emergency": (1, 1)}, 0.4, True),
    ("therapist", "therapist", {"inpatient": (1, 1)}, 0.3, False),
    ("physician", "consulting", {"inpatient": (1, 1), "observation": (1, 1)}, 0.25, False),
]  # fmt: skip


@table_builder("care_team", after=("encounters", "users"))
def build_care_team(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("care_team")
    enc = ctx.tables["encounters"]
    cls = enc["encounter_class"].to_numpy()
    lo = enc["admit_at"].dt.epoch("d").to_numpy() - 30
    hi = enc["discharge_at"].dt.epoch("d").to_numpy() + 45
    dept = enc["department"].to_numpy()
    staff = roster(ctx)
    parts = [
        enc.select(
            "encounter_id",
            pl.col("attending_id").alias("user_id"),
            pl.lit("attending").alias("care_role"),
        )
    ]
    for role, care_role, counts, chance, same_dept in TEAM:
        k = np.zeros(len(cls), dtype=np.int64)
        for c, (a, b) in counts.items():
            m = cls == c
            k[m] = rng.integers(a, b + 1, int(m.sum()))
        k = np.where(rng.random(len(cls)) < chance, k, 0)
        rows = np.repeat(np.arange(len(cls)), k)
        anchors = ctx.meta["anchor_users"] if role == "nurse" else None
        want = dept[rows] if same_dept else None
        uid = pick_employed(rng, staff, role, want, lo[rows], hi[rows], anchors)
        parts.append(
            pl.DataFrame(
                {
                    "encounter_id": enc["encounter_id"].gather(rows),
                    "user_id": uid,
                    "care_role": care_role,
                }
            ).drop_nulls("user_id")
        )
    # The key is (encounter_id, user_id): keep one row per person (attending first).
    team = pl.concat(parts).unique(["encounter_id", "user_id"], keep="first", maintain_order=True)
    return team.sort("encounter_id", maintain_order=True)
