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
from himaudit.generate.pools import pick
from himaudit.generate.registry import table_builder
from himaudit.generate.staffing import pick_employed, roster
from himaudit.generate.tables.patients import YEAR, day, mix
from himaudit.generate.tables.users import CLINICAL_DEPARTMENTS

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


def _length_seconds(rng: np.random.Generator, is_cls: dict[str, np.ndarray]) -> np.ndarray:
    """Length of stay by class. Inpatient: lognormal, median 3.2 d, mean ≈ 4.5 d (HCUP
    2019 mean LOS 4.6 d), 1-30 d; observation 8-47 h (CMS two-midnight rule); ED median
    ~3 h (NHAMCS); hospital outpatient 1-6 h; office visits 15-75 min."""
    n = len(is_cls["inpatient"])
    los = rng.integers(15 * 60, 75 * 60, n)
    los = np.where(is_cls["outpatient"], rng.integers(HOUR, 6 * HOUR, n), los)
    ed = np.clip(rng.lognormal(np.log(3 * HOUR), 0.5, n), HOUR, 12 * HOUR)
    los = np.where(is_cls["emergency"], ed, los)
    los = np.where(is_cls["observation"], rng.integers(8 * HOUR, 47 * HOUR, n), los)
    ip = np.clip(rng.lognormal(np.log(3.2 * 86400), 0.8, n), 86400, 30 * 86400)
    return np.where(is_cls["inpatient"], ip, los).astype(np.int64)


def _codes(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    p = np.array(list(table.values()), dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def _names(values: list[str], codes: np.ndarray, name: str) -> pl.Series:
    return pick(pl.Series(values, dtype=pl.String), codes, name)


@table_builder("encounters", after=("patients", "users"))
def build(ctx: GenContext) -> pl.DataFrame:
    # Integer codes throughout (class, department, disposition, patient row); strings are
    # made once at the end — object-array string work would dominate at 3M encounters.
    rng = ctx.rng("encounters")
    prof = ctx.profile
    pats = ctx.tables["patients"].join(ctx.meta["patient_span"], on="mrn", how="left")
    per = rng.poisson(max(mix(ctx, "encounters_per_patient", 3.0) - 1, 0), pats.height) + 1
    row = np.repeat(np.arange(pats.height), per)
    n = len(row)
    s0 = pats["span_start"].cast(pl.Int32).to_numpy().astype(np.int64)[row]
    s1 = pats["span_end"].cast(pl.Int32).to_numpy().astype(np.int64)[row]
    # Stratified over the span (j-th of k visits in the j-th slice) so visits spread out.
    k = np.repeat(per, per)
    j = np.arange(n) - np.repeat(np.cumsum(per) - per, per)
    d = s0 + ((j + rng.random(n)) / k * (s1 - s0 + 1)).astype(np.int64)
    classes = {**DEFAULT_CLASSES, **prof.mix.get("encounter_classes", {})}
    class_names = list(classes)
    cls = _codes(rng, classes, n)
    is_cls = {c: cls == class_names.index(c) for c in class_names if c in DEFAULT_CLASSES}

    # Clinic and hospital-outpatient visits happen on weekdays in office hours.
    office = is_cls["ambulatory"] | is_cls["outpatient"]
    weekday = (d + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    # A weekend-drawn clinic visit moves to a random weekday of the next week (moving them
    # all to Monday made every Monday a 2.5x peak), or of the week before at the window's end.
    moved = d - weekday + 7 + rng.integers(0, 5, n)
    moved = np.where(moved > day(prof.end), moved - 14, moved)
    d = np.where(office & (weekday >= 5), moved, d)
    busy = rng.random(n) < 0.7  # ED / admissions peak in the day, never stop at night
    tod = np.where(busy, rng.integers(8 * HOUR, 22 * HOUR, n), rng.integers(0, 24 * HOUR, n))
    tod = np.where(office, rng.integers(7 * HOUR + 1800, 16 * HOUR + 1800, n), tod)
    admit = d * 86400 + tod
    reg = pats["registered_at"].dt.epoch("s").to_numpy()[row]
    admit = np.maximum(admit, reg + 600)  # never seen before being registered
    cutoff = (day(prof.as_of) - 45) * 86400  # every stay closed ≥ 45 d before as-of
    discharge = np.minimum(admit + _length_seconds(rng, is_cls), np.maximum(cutoff, admit + HOUR))

    # Department by class, then made age/sex-appropriate (no OB for men, pediatrics < 18).
    depts = list(CLINICAL_DEPARTMENTS)
    dept = np.zeros(n, dtype=np.int64)
    for c, table in DEPARTMENTS.items():
        m = is_cls[c]
        dept[m] = np.array([depts.index(x) for x in table])[_codes(rng, table, int(m.sum()))]
    birth = pats["birth_date"].cast(pl.Int32).to_numpy().astype(np.int64)[row]
    age = (admit // 86400 - birth) / YEAR
    female = (pats["sex"] == "F").to_numpy()[row]
    peds, fm = depts.index("Pediatrics"), depts.index("Family Medicine")
    ob, im = depts.index("Obstetrics and Gynecology"), depts.index("Internal Medicine")
    dept = np.where((age < 18) & ~is_cls["emergency"], peds, dept)
    dept = np.where((dept == peds) & (age >= 18), fm, dept)
    dept = np.where((dept == ob) & ~female, im, dept)
    dispo_names = ["home"] + sorted({x for t in DISPOSITIONS.values() for x in t} - {"home"})
    dispo = np.zeros(n, dtype=np.int64)
    for c, table in DISPOSITIONS.items():
        m = is_cls[c]
        codes = np.array([dispo_names.index(x) for x in table])
        dispo[m] = codes[_codes(rng, table, int(m.sum()))]

    staff = roster(ctx)
    lo, hi = admit // 86400 - 30, discharge // 86400 + 45
    att = pick_employed(rng, staff, "physician", staff.codes(np.array(depts))[dept], lo, hi)
    o = np.lexsort((row, admit))  # admit time, then MRN (patients are in MRN order)
    df = pl.DataFrame(
        [
            pl.Series("encounter_id", np.arange(1, n + 1)),
            pats["mrn"].gather(row[o]),
            _names(class_names, cls[o], "encounter_class"),
            pl.from_epoch(pl.Series("admit_at", admit[o]), time_unit="s"),
            pl.from_epoch(pl.Series("discharge_at", discharge[o]), time_unit="s"),
            pick(staff.user_id, att[o], "attending_id"),
            _names(depts, dept[o], "department"),
            _names(dispo_names, dispo[o], "discharge_disposition"),
            pats["birth_date"].gather(row[o]).alias("reg_birth_date"),
            pats["sex"].gather(row[o]).alias("reg_sex"),
        ]
    )
    return df.with_columns(
        ("E" + pl.col("encounter_id").cast(pl.String).str.zfill(9)).alias("encounter_id"),
        pl.lit(prof.facility_id).alias("facility_id"),
    )


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
    staff = roster(ctx)
    n = enc.height
    cls = enc["encounter_class"]
    lo = enc["admit_at"].dt.epoch("d").to_numpy() - 30
    hi = enc["discharge_at"].dt.epoch("d").to_numpy() + 45
    dept = staff.codes(enc["department"])
    user_pos = {u: i for i, u in enumerate(staff.user_id.to_list())}
    att = (
        enc["attending_id"]
        .replace_strict(list(user_pos), list(user_pos.values()), default=-1, return_dtype=pl.Int64)
        .to_numpy()
    )
    enc_parts, user_parts, role_parts = [np.arange(n)], [att], [np.zeros(n, dtype=np.int64)]
    care_roles = ["attending"] + [t[1] for t in TEAM]
    for r, (role, _care_role, counts, chance, same_dept) in enumerate(TEAM, start=1):
        k = np.zeros(n, dtype=np.int64)
        for c, (a, b) in counts.items():
            m = (cls == c).to_numpy()
            k[m] = rng.integers(a, b + 1, int(m.sum()))
        k = np.where(rng.random(n) < chance, k, 0)
        rows = np.repeat(np.arange(n), k)
        want = dept[rows] if same_dept else None
        uid = pick_employed(rng, staff, role, want, lo[rows], hi[rows], fallback=role == "nurse")
        keep = uid >= 0
        enc_parts.append(rows[keep])
        user_parts.append(uid[keep])
        role_parts.append(np.full(int(keep.sum()), r))
    # The key is (encounter_id, user_id): one row per person (the attending row first).
    team = pl.DataFrame(
        {
            "e": np.concatenate(enc_parts),
            "u": np.concatenate(user_parts),
            "r": np.concatenate(role_parts),
        }
    )
    team = team.unique(["e", "u"], keep="first", maintain_order=True).sort("e", maintain_order=True)
    return pl.DataFrame(
        [
            enc["encounter_id"].gather(team["e"]),
            pick(staff.user_id, team["u"].to_numpy(), "user_id"),
            _names(care_roles, team["r"].to_numpy(), "care_role"),
        ]
    )
