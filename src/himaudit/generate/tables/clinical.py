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
    """Encounters with the patient's sex and age in whole years at admission."""
    enc = ctx.tables["encounters"]
    pats = ctx.tables["patients"].select("mrn", "sex", "birth_date").unique("mrn", keep="first")
    df = enc.join(pats, on="mrn", how="left")
    admit, birth = pl.col("admit_at"), pl.col("birth_date")
    before_birthday = (admit.dt.month() < birth.dt.month()) | (
        (admit.dt.month() == birth.dt.month()) & (admit.dt.day() < birth.dt.day())
    )
    return df.with_columns(
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


def _draw(rng: np.random.Generator, strata: pl.DataFrame, pool: pl.DataFrame) -> list:
    """For each stratum row (setting, sexk, age band lo, rows idx), draw n codes from the pool
    entries that fit it; returns (row index array, code array) pieces."""
    out = []
    for setting, sexk, age, idx in strata.iter_rows():
        fit = pool.filter(
            pl.col("setting").is_in([setting, "any"])
            & pl.col("sex").is_in(["A", sexk])
            & (pl.col("age_min") <= age)
            & (pl.col("age_max") >= age)
        )
        idx = np.asarray(idx)
        if fit.height == 0 or len(idx) == 0:
            continue
        w = fit["weight"].to_numpy().astype(float)
        codes = fit["code"].to_numpy()[rng.choice(fit.height, len(idx), p=w / w.sum())]
        out.append((idx, codes))
    return out


def _strata(df: pl.DataFrame, bounds: list[int]) -> pl.DataFrame:
    """Group row numbers by setting, sex and age band (eligibility is constant in a band)."""
    band = np.searchsorted(np.array(bounds), df["age"].to_numpy(), side="right") - 1
    lo = np.array(bounds)[band]
    return (
        df.select("setting", "sexk")
        .with_columns(pl.Series("band", lo), pl.int_range(pl.len()).alias("row"))
        .group_by("setting", "sexk", "band", maintain_order=True)
        .agg("row")
        .sort("setting", "sexk", "band")
    )


@table_builder("diagnoses", after=("encounters", "patients"))
def build_diagnoses(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("diagnoses")
    enc = encounter_frame(ctx)
    cur = curated_dx()
    bounds = sorted({0, *cur["age_min"].to_list(), *(cur["age_max"] + 1).to_list()})
    strata = _strata(enc, bounds)

    principal = np.full(enc.height, None, dtype=object)
    for idx, codes in _draw(rng, strata, cur.filter(pl.col("role") == "principal")):
        principal[idx] = codes
    missing = principal == None  # noqa: E711 - numpy elementwise
    principal[missing] = "R69"  # illness, unspecified: fits any age and sex

    setting = enc["setting"].to_numpy()
    mean = np.vectorize(SECONDARY_MEAN.get)(setting)
    n_sec = rng.poisson(mean) + (setting == "inpatient")
    n_sec = np.minimum(n_sec, 9)
    sec_rows, sec_codes = [], []
    secondary_pool = cur.filter(pl.col("role") == "secondary")
    rep = np.repeat(np.arange(enc.height), n_sec)
    rep_strata = _strata(enc[rep], bounds)
    for idx, codes in _draw(rng, rep_strata, secondary_pool):
        sec_rows.append(rep[idx])
        sec_codes.append(codes)

    lines = pl.concat(
        [
            pl.DataFrame({"row": np.arange(enc.height), "code": principal, "k": 0}),
            pl.DataFrame(
                {
                    "row": np.concatenate(sec_rows) if sec_rows else np.zeros(0, np.int64),
                    "code": np.concatenate(sec_codes) if sec_codes else np.zeros(0, object),
                    "k": 1,
                }
            ),
        ],
        how="vertical_relaxed",
    ).with_columns(pl.col("code").cast(pl.String))
    first = lines.filter(pl.col("k") == 0).select(
        "row", pl.col("code").str.slice(0, 3).alias("cat")
    )
    lines = (
        lines.join(first, on="row", how="left")
        # a secondary in the principal's own category (E11.9 beside E11.65) is not how coders
        # code; drop it, and any repeat of a code on one encounter.
        .filter((pl.col("k") == 0) | (pl.col("code").str.slice(0, 3) != pl.col("cat")))
        .sort("row", "k", maintain_order=True)
        .unique(["row", "code"], keep="first", maintain_order=True)
        .with_columns((pl.int_range(pl.len()).over("row") + 1).cast(pl.Int32).alias("seq"))
    )
    poa = rng.choice(np.array(["Y", "N", "U"]), lines.height, p=[0.86, 0.11, 0.03])
    ids = enc["encounter_id"]
    return lines.with_columns(
        ids.gather(lines["row"]).alias("encounter_id"),
        pl.Series("present_on_admission", poa),
        pl.Series("setting", setting).gather(lines["row"]).alias("_setting"),
    ).select(
        "encounter_id",
        "seq",
        "code",
        pl.when(pl.col("_setting") == "inpatient")
        .then(pl.col("present_on_admission"))
        .alias("present_on_admission"),
    )


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


def _em_codes(rng: np.random.Generator, specialty: np.ndarray) -> np.ndarray:
    new = rng.random(len(specialty)) < NEW_PATIENT_SHARE
    codes = np.empty(len(specialty), dtype=object)
    key = np.char.replace(np.char.lower(specialty.astype(str)), " ", "_")
    for spec in np.unique(key):
        idx = np.flatnonzero((key == spec) & ~new)
        mix = em_established_mix()
        shares = np.array(mix.get(spec, mix["default"]))
        shares = shares / shares.sum()
        codes[idx] = rng.choice(["99211", "99212", "99213", "99214", "99215"], len(idx), p=shares)
    codes[new] = rng.choice(["99202", "99203", "99204", "99205"], int(new.sum()), p=EM_NEW)
    return codes


@table_builder("procedures", after=("encounters", "patients", "users", "diagnoses"))
def build_procedures(ctx: GenContext) -> pl.DataFrame:
    rng = ctx.rng("procedures")
    enc = encounter_frame(ctx)
    start, end = stay_window(ctx, enc)
    span = np.maximum(end - start, 1)
    setting = enc["setting"].to_numpy()
    attending = enc["attending_id"].to_numpy()
    parts: list[pl.DataFrame] = []

    def add(rows: np.ndarray, system: str, codes: object, units: object, at: np.ndarray) -> None:
        # whole minutes as EHRs record them, rounded up and kept inside the stay
        minute = -(-at // 60_000_000) * 60_000_000
        at = np.clip(minute, start[rows], end[rows])
        parts.append(
            pl.DataFrame(
                {"row": rows, "code_system": system, "code": codes, "units": units,
                 "performed_at": at, "provider_id": attending[rows]},
                schema_overrides={"code": pl.String, "units": pl.Int32, "provider_id": pl.String},
            )
        )  # fmt: skip

    principal = ctx.tables["diagnoses"].filter(pl.col("seq") == 1).select("encounter_id", "code")
    pcode = enc.select("encounter_id").join(principal, on="encounter_id", how="left")["code"]
    pcode = pcode.to_numpy()
    for dx, (pcs, share) in SURGERY_FOR.items():
        rows = np.flatnonzero((pcode == dx) & (setting == "inpatient"))
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
    specialty = _provider_specialty(ctx, attending[office])
    at = start[office] + (rng.random(len(office)) * span[office]).astype(np.int64)
    add(office, "CPT", _em_codes(rng, specialty), 1, at)

    lines = pl.concat(parts, how="vertical_relaxed").sort("row", "performed_at", "code")
    return lines.with_columns(
        enc["encounter_id"].gather(lines["row"]).alias("encounter_id"),
        (pl.int_range(pl.len()).over("row") + 1).cast(pl.Int32).alias("seq"),
        pl.from_epoch("performed_at", time_unit="us"),
        pl.lit(None, dtype=pl.String).alias("modifier"),
    ).drop("row")


def _provider_specialty(ctx: GenContext, provider: np.ndarray) -> np.ndarray:
    users = ctx.tables["users"]
    spec_col = (
        users["specialty"] if "specialty" in users.columns else pl.Series([None] * users.height)
    )
    lookup = dict(zip(users["user_id"].to_list(), spec_col.to_list(), strict=True))
    keys = pl.Series(provider.astype(str))
    return (
        keys.replace_strict(lookup, default=None, return_dtype=pl.String)
        .fill_null("default")
        .to_numpy()
    )
