"""COD reference data: Excludes1/manifestation parsing and the generator's curated code mix."""

from __future__ import annotations

import csv
from itertools import combinations

import duckdb
import pytest

from himaudit.load.warehouse import init_warehouse
from himaudit.paths import warehouse_dir
from himaudit.reference.icd_edits import (
    excludes1_related,
    manifestation_codes,
    parse_excludes_note,
)

REF = warehouse_dir() / "reference"


@pytest.mark.parametrize(
    ("note", "ranges"),
    [
        ("type 1 diabetes mellitus (E10.-)", [("E10", "E10")]),
        ("certain infectious diseases (A00-B99)", [("A00", "B99")]),
        ("fracture of skull (S02.1-S02.4)", [("S021", "S024")]),
        ("wheezing NOS (R06.2)", [("R062", "R062")]),
        ("two (E08.-, E09.-)", [("E08", "E08"), ("E09", "E09")]),
        ("qualified (T36-T65 with fifth or sixth character 5)", []),
        ("no code at all", []),
    ],
)
def test_parse_excludes_note(note: str, ranges: list[tuple[str, str]]) -> None:
    assert parse_excludes_note(note) == ranges


def test_excludes1_is_inherited_and_symmetric() -> None:
    assert excludes1_related("E11.9", "E10.9")  # note on category E11, applies to E11.9
    assert excludes1_related("e109", "E11.9")
    assert not excludes1_related("E11.9", "I10")


def test_manifestations() -> None:
    codes = set(manifestation_codes())
    assert {"F0280", "G63"} <= codes
    assert "E119" not in codes and "G309" not in codes


def test_reference_tables_load_with_expected_shapes() -> None:
    con = duckdb.connect()
    init_warehouse(con)
    n_excl = con.execute("SELECT count(*) FROM ref.icd_excludes1").fetchall()[0][0]
    assert n_excl > 50_000
    # every Excludes1 source is a billable code of the code set
    orphans = con.execute(
        "SELECT count(*) FROM ref.icd_excludes1 x ANTI JOIN ref.icd10cm c "
        "ON c.code = x.code AND c.billable"
    ).fetchall()[0][0]
    assert orphans == 0
    assert con.execute("SELECT count(*) FROM ref.em_codes WHERE high_level").fetchall()[0][0] == 4


def _curated() -> list[dict[str, str]]:
    with open(REF / "cod_common_dx.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _edits(name: str) -> list[dict[str, str]]:
    with open(REF / f"{name}.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _in(code: str, lo: str, hi: str) -> bool:
    c = code.replace(".", "")
    return c[: len(lo)] >= lo and c[: len(hi)] <= hi


def test_curated_mix_is_clean_by_construction() -> None:
    import simple_icd_10_cm as icd

    rows = _curated()
    manif = set(manifestation_codes())
    for r in rows:
        code = r["code"]
        assert icd.is_valid_item(code) and icd.is_leaf(code), code
        assert code.replace(".", "") not in manif
        if r["role"] == "principal":
            assert code[0] not in "VWXY", code
        for e in _edits("cod_sex_edits"):
            if _in(code, e["code_lo"], e["code_hi"]):
                assert r["sex"] == e["sex"], code
        for e in _edits("cod_age_edits"):
            if _in(code, e["code_lo"], e["code_hi"]):
                assert int(e["min_age"]) <= int(r["age_min"]) and int(r["age_max"]) <= int(
                    e["max_age"]
                ), code
    # two codes that can land on one encounter (overlapping ages, compatible sex) never
    # form an Excludes1 pair — principals are never paired with each other
    for a, b in combinations(rows, 2):
        if a["role"] == b["role"] == "principal":
            continue
        ages = int(a["age_min"]) <= int(b["age_max"]) and int(b["age_min"]) <= int(a["age_max"])
        sexes = "A" in (a["sex"], b["sex"]) or a["sex"] == b["sex"]
        if ages and sexes:
            assert not excludes1_related(a["code"], b["code"]), (a["code"], b["code"])
