"""Clean coded data: ``diagnoses`` (ICD-10-CM) and ``procedures`` (ICD-10-PCS, CPT E/M, HCPCS).

Diagnoses come from a curated frequency mix of common billable codes by setting
(``warehouse/reference/cod_common_dx.csv``), each tagged with the sexes and ages it fits, so
clean data never trips an MCE-style sex/age edit; the curated codes carry no manifestation
or external-cause principal and no Excludes1 pair that can co-occur (tests check both).
Everything is drawn per stratum (setting x sex x age band) with numpy, never per row.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.registry import table_builder
from himaudit.paths import warehouse_dir

US_HOUR = 3_600_000_000
SETTING = {
    "inpatient": "inpatient",
    "observation": "inpatient",
    "emergency": "emergency",
    "outpatient": "outpatient",
    "ambulatory": "outpatient",
}
# Secondary diagnoses per encounter: 1 + Poisson(mean) for inpatients (a typical claim
# carries 5-9 codes), Poisson(mean) elsewhere.
SECONDARY_MEAN = {"inpatient": 4.0, "emergency": 0.8, "outpatient": 1.2}

# Principal diagnosis -> the surgical ICD-10-PCS procedure it usually leads to, and how often.
SURGERY_FOR = {
    "K35.80": ("0DTJ4ZZ", 0.9),
    "K80.20": ("0FT44ZZ", 0.8),
    "M17.11": ("0SRC0J9", 0.85),
    "M16.11": ("0SR90J9", 0.85),
    "S72.001A": ("0QS604Z", 0.9),
    "K56.609": ("0DTN0ZZ", 0.3),
}
# Non-surgical inpatient procedures and the share of stays that get them.
INPATIENT_OTHER = {"30233N1": 0.10, "02HV33Z": 0.07, "0BH17EZ": 0.04, "3E0234Z": 0.05}
# Emergency-department drug lines (HCPCS Level II) with units drawn 1..max_clean.
ED_DRUGS = {"J1885": 2, "J2405": 8, "J0696": 4, "J1100": 10, "J7050": 4}
ED_DRUG_SHARE = 0.3

# E/M level mix: established visits by specialty from warehouse/reference/
# em_specialty_benchmarks.csv (the table COD-010 falls back to); new-patient visits below.


@functools.cache
def em_established_mix() -> dict[str, list[float]]:
    """Specialty -> shares of levels 1..5 (99211..99215), from em_specialty_benchmarks.csv."""
    path = warehouse_dir() / "reference" / "em_specialty_benchmarks.csv"
    bench = pl.read_csv(path).sort("specialty", "level")
    return {s: g["share"].to_list() for (s,), g in bench.group_by("specialty", maintain_order=True)}


EM_NEW = [0.08, 0.42, 0.38, 0.12]
NEW_PATIENT_SHARE = 0.12


@functools.cache
def curated_dx() -> pl.DataFrame:
    return pl.read_csv(warehouse_dir() / "reference" / "cod_common_dx.csv")


def _us(col: str) -> pl.Expr:
    return pl.col(col).dt.epoch("us")


def encounter_frame(ctx: GenContext) -> pl.DataFrame:
    """Encounters with the patient's sex and age in whole years at admission (computed once
    per run: the diagnoses, procedures and notes builders all need it)."""
    key = ("clinical.encounter_frame", id(ctx.tables["encounters"]))
    if ctx.meta.get("_enc_key") == key:
        return ctx.meta["_enc_frame"]
    enc = ctx.tables["encounters"]
    pats = ctx.tables["patients"].select("mrn", "sex", "birth_date").unique("mrn", keep="first")
    df = enc.join(pats, on="mrn", how="left", maintain_order="left")
    admit, birth = pl.col("admit_at"), pl.col("birth_date")
    before_birthday = (admit.dt.month() < birth.dt.month()) | (
        (admit.dt.month() == birth.dt.month()) & (admit.dt.day() < birth.dt.day())
    )
    df = df.with_columns(
        (admit.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32))
        .fill_null(40)
        .clip(0, 120)
        .alias("age"),
        pl.col("encounter_class").replace_strict(SETTING, default="outpatient").alias("setting"),
        pl.when(pl.col("sex").is_in(["F", "M"]))
        .then(pl.col("sex"))
        .otherwise(pl.lit("A"))
        .alias("sexk"),
    )
    ctx.meta["_enc_key"], ctx.meta["_enc_frame"] = key, df
    return df


SETTINGS = ("inpatient", "outpatient", "emergency")
SEXES = ("A", "F", "M")


def _draw(
    rng: np.random.Generator, groups: list, pool: pl.DataFrame, index: dict[str, int]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each stratum (setting, sex, age band low end, row indices) draw one code per row
    from the pool entries that fit it; returns (rows, code indices) pieces."""
    out = []
    for setting, sexk, age, idx in groups:
        fit = pool.filter(
            pl.col("setting").is_in([setting, "any"])
            & pl.col("sex").is_in(["A", sexk])
            & (pl.col("age_min") <= age)
            & (pl.col("age_max") >= age)
        )
        if fit.height == 0 or len(idx) == 0:
            continue
        w = fit["weight"].to_numpy().astype(float)
        codes = np.array([index[c] for c in fit["code"].to_list()], dtype=np.int32)
        out.append((idx, codes[rng.choice(fit.height, len(idx), p=w / w.sum())]))
    return out


def _strata(setting: np.ndarray, sexk: np.ndarray, age: np.ndarray, bounds: list[int]) -> list:
    """Row numbers grouped by setting, sex and age band (eligibility is constant in a band)."""
    edges = np.array(bounds)
    band = np.searchsorted(edges, age, side="right") - 1
    key = (setting * len(SEXES) + sexk) * len(edges) + band
    order = np.argsort(key, kind="stable")
    uniq, starts = np.unique(key[order], return_index=True)
    groups = []
    for k, rows in zip(uniq, np.split(order, starts[1:]), strict=True):
        b, rest = int(k % len(edges)), int(k // len(edges))
        groups.append((SETTINGS[rest // len(SEXES)], SEXES[rest % len(SEXES)], int(edges[b]), rows))
    return groups


@table_builder("diagnoses", after=("encounters", "patients"))
def build_diagnoses(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("diagnoses")
    enc = encounter_frame(ctx)
    cur = curated_dx()
    bounds = sorted({0, *cur["age_min"].to_list(), *(cur["age_max"] + 1).to_list()})
    codes = [*cur["code"].unique(maintain_order=True).to_list(), "R69"]  # R69: fits anyone
    index = {c: i for i, c in enumerate(codes)}
    category = np.unique([c[:3] for c in codes], return_inverse=True)[1]
    setting = (
        enc["setting"].replace_strict(SETTINGS, list(range(3)), return_dtype=pl.Int8).to_numpy()
    )
    sexk = enc["sexk"].replace_strict(SEXES, list(range(3)), return_dtype=pl.Int8).to_numpy()
    age = enc["age"].to_numpy()
    n = enc.height

    principal = np.full(n, index["R69"], dtype=np.int32)
    groups = _strata(setting, sexk, age, bounds)
    for idx, drawn in _draw(rng, groups, cur.filter(pl.col("role") == "principal"), index):
        principal[idx] = drawn
    mean = np.array([SECONDARY_MEAN[s] for s in SETTINGS])[setting]
    n_sec = np.minimum(rng.poisson(mean) + (setting == 0), 9)
    rep = np.repeat(np.arange(n), n_sec)
    secondary = np.full(len(rep), -1, dtype=np.int32)
    rep_groups = _strata(setting[rep], sexk[rep], age[rep], bounds)
    for idx, drawn in _draw(rng, rep_groups, cur.filter(pl.col("role") == "secondary"), index):
        secondary[idx] = drawn
    # a secondary in the principal's own category (E11.9 beside E11.65) is not how coders
    # code; drop it, and any repeat of a code on one encounter (first occurrence wins)
    keep = (secondary >= 0) & (category[secondary] != category[principal[rep]])
    row = np.concatenate([np.arange(n), rep[keep]])
    code = np.concatenate([principal, secondary[keep]])
    order = np.argsort(row, kind="stable")  # principal (listed first) stays first
    row, code = row[order], code[order]
    _, first = np.unique(row.astype(np.int64) * len(codes) + code, return_index=True)
    first.sort()
    row, code = row[first], code[first]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    seq = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)])) + 1
    poa = pl.Series(["Y", "N", "U"]).gather(rng.choice(3, len(row), p=[0.86, 0.11, 0.03]))
    lines = pl.DataFrame(
        {
            "encounter_id": enc["encounter_id"].gather(row),
            "seq": pl.Series(seq, dtype=pl.Int32),
            "code": pl.Series(codes).gather(code),
            "poa": poa,
            "inpatient": setting[row] == 0,
        }
    )
    # present-on-admission is reported for inpatient claims only
    return lines.with_columns(
        pl.when(pl.col("inpatient")).then(pl.col("poa")).alias("present_on_admission")
    ).drop("poa", "inpatient")


def stay_window(ctx: GenContext, enc: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each encounter in epoch microseconds; an open stay ends at as_of, a
    visit without a discharge time lasts 30 minutes; nothing ends after as_of."""
    as_of = int(np.datetime64(ctx.profile.as_of, "us").astype(np.int64)) - 60_000_000
    start = enc.select(_us("admit_at")).to_series().to_numpy()
    end = enc.select(_us("discharge_at")).to_series().to_numpy(allow_copy=True)
    end = np.where(np.isnan(end.astype(float)), np.nan, end)
    inpatient = enc["setting"].to_numpy() == "inpatient"
    default_end = np.where(inpatient, as_of, start + US_HOUR // 2)
    end = np.where(np.isnan(end), default_end, end).astype(np.int64)
    return start, np.maximum(np.minimum(end, as_of), start)


EM_EST_CODES = ["99211", "99212", "99213", "99214", "99215"]
EM_NEW_CODES = ["99202", "99203", "99204", "99205"]


def _em_codes(rng: np.random.Generator, specialty: pl.Series) -> pl.Series:
    """One office E/M code per visit from the attending's specialty mix (vectorised by
    specialty: categories, not per-row strings)."""
    raw = specialty.fill_null("default")
    names = raw.unique().sort().to_list()
    phys = raw.cast(pl.Enum(names)).to_physical().to_numpy()
    names = [n.lower().replace(" ", "_") for n in names]
    new = rng.random(len(phys)) < NEW_PATIENT_SHARE
    code = np.empty(len(phys), dtype=np.int32)
    mix = em_established_mix()
    for i, spec in enumerate(names):
        idx = np.flatnonzero((phys == i) & ~new)
        shares = np.array(mix.get(spec, mix["default"]))
        code[idx] = rng.choice(5, len(idx), p=shares / shares.sum())
    code[new] = 5 + rng.choice(4, int(new.sum()), p=EM_NEW)
    return pl.Series(EM_EST_CODES + EM_NEW_CODES).gather(code)


@table_builder("procedures", after=("encounters", "patients", "users", "diagnoses"))
def build_procedures(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("procedures")
    enc = encounter_frame(ctx)
    start, end = stay_window(ctx, enc)
    span = np.maximum(end - start, 1)
    setting = enc["setting"].to_numpy()
    parts: list[pl.DataFrame] = []

    def add(rows: np.ndarray, system: str, codes: object, units: object, at: np.ndarray) -> None:
        # whole minutes as EHRs record them, rounded up and kept inside the stay
        minute = -(-at // 60_000_000) * 60_000_000
        at = np.clip(minute, start[rows], end[rows])
        parts.append(
            pl.DataFrame(
                {"row": rows, "code_system": system, "code": codes, "units": units,
                 "performed_at": at},
                schema_overrides={"code": pl.String, "units": pl.Int32},
            )
        )  # fmt: skip

    principal = ctx.tables["diagnoses"].filter(pl.col("seq") == 1).select("encounter_id", "code")
    pcode = enc.select("encounter_id").join(
        principal, on="encounter_id", how="left", maintain_order="left"
    )["code"]
    for dx, (pcs, share) in SURGERY_FOR.items():
        rows = np.flatnonzero((pcode == dx).fill_null(False).to_numpy() & (setting == "inpatient"))
        rows = rows[rng.random(len(rows)) < share]
        # surgery early in the stay but never past its end
        at = start[rows] + np.minimum(
            (rng.uniform(2, 36, len(rows)) * US_HOUR).astype(np.int64), span[rows] // 2
        )
        add(rows, "ICD-10-PCS", pcs, 1, at)
    inpatient = np.flatnonzero(setting == "inpatient")
    for pcs, share in INPATIENT_OTHER.items():
        rows = inpatient[rng.random(len(inpatient)) < share]
        add(
            rows,
            "ICD-10-PCS",
            pcs,
            1,
            start[rows] + (rng.random(len(rows)) * span[rows]).astype(np.int64),
        )
    ed = np.flatnonzero(setting == "emergency")
    ed = ed[rng.random(len(ed)) < ED_DRUG_SHARE]
    drugs = np.array(list(ED_DRUGS))
    code = drugs[rng.integers(0, len(drugs), len(ed))]
    units = 1 + (rng.random(len(ed)) * np.vectorize(ED_DRUGS.get)(code)).astype(np.int32)
    add(ed, "HCPCS", code, units, start[ed] + (rng.random(len(ed)) * span[ed]).astype(np.int64))
    office = np.flatnonzero(setting == "outpatient")
    specialty = _provider_specialty(ctx, enc["attending_id"].gather(office))
    at = start[office] + (rng.random(len(office)) * span[office]).astype(np.int64)
    add(office, "CPT", _em_codes(rng, specialty), 1, at)

    # parts are concatenated in a fixed order, so a stable sort on integers is deterministic
    lines = pl.concat(parts, how="vertical_relaxed").sort(
        "row", "performed_at", maintain_order=True
    )
    return lines.with_columns(
        enc["encounter_id"].gather(lines["row"]).alias("encounter_id"),
        enc["attending_id"].gather(lines["row"]).alias("provider_id"),
        (pl.int_range(pl.len()).over("row") + 1).cast(pl.Int32).alias("seq"),
        pl.from_epoch("performed_at", time_unit="us"),
        pl.lit(None, dtype=pl.String).alias("modifier"),
    ).drop("row")


def _provider_specialty(ctx: GenContext, provider: pl.Series) -> pl.Series:
    users = ctx.tables["users"]
    if "specialty" not in users.columns:
        return pl.Series([None] * len(provider), dtype=pl.String)
    lookup = users.select(pl.col("user_id").alias("p"), "specialty").unique("p", keep="first")
    frame = provider.to_frame("p").join(lookup, on="p", how="left", maintain_order="left")
    return frame["specialty"]
