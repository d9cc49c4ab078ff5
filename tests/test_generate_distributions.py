"""Clean generated data is realistic and satisfies the CATALOGUE.md invariants."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from himaudit.generate.runner import build_hospital

AS_OF = datetime(2026, 6, 30)


@pytest.fixture(scope="module")
def hospital() -> dict[str, pl.DataFrame]:
    return build_hospital("clean", seed=2026, patients=4000).tables


def test_sex_and_age_mix(hospital) -> None:
    p = hospital["patients"]
    assert set(p["sex"].unique()) <= {"F", "M"}
    female = (p["sex"] == "F").mean()
    assert 0.46 < female < 0.55
    age = (pl.lit(date(2017, 2, 14)) - p["birth_date"]).dt.total_days() / 365.25
    ages = p.select(age.alias("age"))["age"]
    assert 0.12 < (ages < 18).mean() < 0.35  # census: ~22% under 18
    assert 0.08 < (ages >= 65).mean() < 0.30  # census: ~17% 65+
    assert (p["birth_date"] <= date(2026, 3, 31)).all()  # newborns up to the window end
    oldest = p.select((pl.lit(AS_OF.date()) - pl.col("birth_date")).dt.total_days().max()).item()
    assert oldest / 365.25 < 120


def test_identifiers_formats_and_uniqueness(hospital) -> None:
    p, u = hospital["patients"], hospital["users"]
    assert p["mrn"].str.contains(r"^M\d{8}$").all() and p["mrn"].n_unique() == p.height
    ssn = p["ssn"].drop_nulls()
    assert ssn.str.contains(r"^9\d{2}-\d{2}-\d{4}$").all()
    assert ssn.str.slice(0, 3).cast(pl.Int32).is_between(900, 999).all()
    assert ssn.n_unique() == ssn.len()  # nobody shares an SSN
    assert 0.07 < p["ssn"].null_count() / p.height < 0.13
    assert p["phone"].drop_nulls().str.contains(r"^\d{3}-\d{3}-\d{4}$").all()
    assert p["zip"].str.contains(r"^\d{5}$").all()
    assert 0.001 < p["is_vip"].mean() < 0.02
    assert u["user_id"].str.contains(r"^U\d{6}$").all() and u["user_id"].n_unique() == u.height
    providers = u.filter(pl.col("role").is_in(["physician", "resident", "therapist"]))
    assert providers["npi"].null_count() == 0
    assert (
        u.filter(~pl.col("role").is_in(["physician", "resident", "therapist"]))["npi"].null_count()
        == u.height - providers.height
    )
    for npi in providers["npi"]:
        digits = [int(c) for c in "80840" + npi]
        total = sum(
            d if i % 2 == 0 else (2 * d if d < 5 else 2 * d - 9)
            for i, d in enumerate(reversed(digits))
        )
        assert total % 10 == 0, f"NPI {npi} fails Luhn with prefix 80840"


def test_mpi_hard_negatives_exist(hospital) -> None:
    p = hospital["patients"]
    households = (
        p.filter(pl.col("phone").is_not_null()).group_by("last_name", "address", "phone").len()
    )
    assert households.filter(pl.col("len") >= 2)["len"].sum() > 0.15 * p.height
    twins = p.join(p, on=["last_name", "birth_date", "address"], suffix="_b").filter(
        pl.col("mrn") < pl.col("mrn_b"),
        pl.col("first_name") != pl.col("first_name_b"),
        pl.col("ssn").is_not_null() & pl.col("ssn_b").is_not_null(),
    )
    assert twins.height >= 5
    juniors = p.join(p, on=["first_name", "last_name", "address"], suffix="_b").filter(
        (pl.col("birth_date_b") - pl.col("birth_date")).dt.total_days() >= 18 * 365
    )
    assert juniors.height >= 3
    common = p.group_by("first_name", "last_name").len()
    assert common["len"].max() >= 3  # unrelated people sharing a full name
    # ...but no person twice: name + birth date + sex never repeats with the same SSN.
    dup = p.filter(pl.col("ssn").is_not_null()).group_by("ssn").len()
    assert dup["len"].max() == 1


def test_employees_are_also_patients(hospital) -> None:
    u, p = hospital["users"], hospital["patients"]
    both = u.join(p, on=["first_name", "last_name", "birth_date", "address", "city", "zip"])
    assert 0.02 * u.height <= both.height <= 0.10 * u.height
    assert set(u["role"].unique()) >= {
        "physician",
        "resident",
        "nurse",
        "therapist",
        "him",
        "billing",
        "registration",
        "it",
        "admin",
    }
    assert u["terminated_at"].null_count() < u.height
    assert (
        u["terminated_at"].drop_nulls()
        > u.filter(pl.col("terminated_at").is_not_null())["hired_at"]
    ).all()


def test_encounters_timing_and_length_of_stay(hospital) -> None:
    e, p = hospital["encounters"], hospital["patients"]
    assert (e["discharge_at"] > e["admit_at"]).all()
    assert (e["discharge_at"] <= AS_OF - timedelta(days=45)).all()
    assert (e["admit_at"] >= datetime(2008, 1, 1)).all()
    los = e.group_by("encounter_class").agg(
        ((pl.col("discharge_at") - pl.col("admit_at")).dt.total_seconds() / 86400)
        .mean()
        .alias("days"),
        pl.len().alias("n"),
    )
    by = {r["encounter_class"]: r for r in los.iter_rows(named=True)}
    assert set(by) == {"inpatient", "outpatient", "emergency", "observation", "ambulatory"}
    assert 3.0 < by["inpatient"]["days"] < 6.5  # HCUP mean LOS ~4.6 d
    assert by["emergency"]["days"] < 0.5 and by["ambulatory"]["days"] < 0.1
    assert 0.05 < by["inpatient"]["n"] / e.height < 0.14
    j = e.join(p, on="mrn", how="left")
    assert j["birth_date"].null_count() == 0  # no orphan encounters
    assert (j["reg_birth_date"] == j["birth_date"]).all() and (j["reg_sex"] == j["sex"]).all()
    assert (j["admit_at"].dt.date() >= j["birth_date"]).all()
    dead = j.filter(pl.col("death_date").is_not_null())
    assert dead.height > 0 and (dead["admit_at"].dt.date() <= dead["death_date"]).all()
    assert (j.filter(pl.col("sex") == "M")["department"] != "Obstetrics and Gynecology").all()
    # Retention needs records that went quiet 10+ years before as-of.
    last = e.group_by("mrn").agg(pl.col("discharge_at").max())
    assert (last["discharge_at"] < datetime(2016, 6, 30)).sum() > 0.05 * p.height


def test_attending_and_care_team_employed_at_the_time(hospital) -> None:
    e, u, ct = hospital["encounters"], hospital["users"], hospital["care_team"]
    assert e["attending_id"].null_count() == 0
    for team in (e.select("encounter_id", pl.col("attending_id").alias("user_id")), ct):
        j = team.join(e.select("encounter_id", "admit_at", "discharge_at"), on="encounter_id").join(
            u, on="user_id", how="left"
        )
        assert j["role"].null_count() == 0
        assert (j["hired_at"] <= j["admit_at"]).all()
        assert (
            (j["terminated_at"].is_null())
            | (j["terminated_at"] > j["discharge_at"] + timedelta(days=30))
        ).all()
    att = e.join(u, left_on="attending_id", right_on="user_id")
    assert (att["role"] == "physician").all() and (
        att["department"] == att["department_right"]
    ).all()
    assert ct.select("encounter_id", "user_id").is_duplicated().sum() == 0
    assert set(ct["encounter_id"].unique()) == set(e["encounter_id"])
    assert ct.filter(pl.col("care_role") == "attending").height == e.height


def test_no_names_outside_patients_and_users(hospital) -> None:
    names = set(
        pl.concat(
            [
                hospital["patients"].select("first_name", "last_name"),
                hospital["users"].select("first_name", "last_name"),
            ]
        )
        .select(pl.concat_str("first_name", "last_name", separator=" "))
        .to_series()
    )
    ssns = set(hospital["patients"]["ssn"].drop_nulls())
    for table, df in hospital.items():
        if table in ("patients", "users"):
            continue
        for col, dtype in df.schema.items():
            if dtype == pl.String:
                values = set(df[col].drop_nulls().unique())
                assert not values & names, f"{table}.{col} carries a person's name"
                assert not values & ssns, f"{table}.{col} carries an SSN"


def test_clean_codes_fit_sex_and_age(hospital) -> None:
    dx = hospital.get("diagnoses")
    assert dx is not None and dx.height > 0, "no diagnoses generated"
    j = dx.join(hospital["encounters"], on="encounter_id").join(hospital["patients"], on="mrn")
    code = pl.col("code").str.replace(".", "", literal=True).str.to_uppercase()
    male_pregnancy = j.filter((pl.col("sex") == "M") & code.str.starts_with("O"))
    assert male_pregnancy.height == 0, "pregnancy codes (O00-O9A) on male patients"
    age = (pl.col("admit_at").dt.date() - pl.col("birth_date")).dt.total_days() / 365.25
    assert j.filter(code.str.starts_with("O") & ((age < 9) | (age > 64))).height == 0
