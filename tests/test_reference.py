"""ref.* tables: ICD-10-CM from simple-icd-10-cm, retention schedule, CSV and plug-in discovery."""

from __future__ import annotations

import time

import duckdb
import pytest

from himaudit.load.warehouse import init_warehouse
from himaudit.paths import warehouse_dir
from himaudit.reference import build_reference, plugin_modules


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    init_warehouse(c)
    return c


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    return con.execute(sql, list(params)).fetchall()[0]


def test_icd10cm_codes_and_billable_flag(con: duckdb.DuckDBPyConnection) -> None:
    # A category is valid but not billable; its leaves are billable.
    assert one(con, "SELECT billable, chapter, parent FROM ref.icd10cm WHERE code = 'E11'") == (
        False,
        "4",
        None,
    )
    assert one(
        con, "SELECT billable, code_dotted, parent, block FROM ref.icd10cm WHERE code = 'E119'"
    ) == (True, "E11.9", "E11", "E08-E13")
    # Seventh-character extensions are codes; B20 is both a block and a billable category.
    assert one(con, "SELECT billable FROM ref.icd10cm WHERE code = 'S52521A'") == (True,)
    assert one(con, "SELECT billable, block FROM ref.icd10cm WHERE code = 'B20'") == (True, "B20")


def test_icd10cm_holds_codes_not_chapters_or_blocks(con: duckdb.DuckDBPyConnection) -> None:
    import simple_icd_10_cm as cm

    n_codes, n_billable, n_keys = one(
        con, "SELECT count(*), count_if(billable), count(DISTINCT code) FROM ref.icd10cm"
    )
    assert n_codes == n_keys  # one row per code
    assert one(con, "SELECT count(*) FROM ref.icd10cm WHERE code LIKE '%-%'") == (0,)
    expected_leaves = {
        c
        for c in cm.get_all_codes(with_dots=False)
        if cm.is_leaf(c) and not cm.is_chapter(c) and "-" not in c  # some blocks are childless
    }
    # Blocks holding a single category (B20) share its name, so distinct leaves == billable.
    assert n_billable == len(expected_leaves) > 70_000
    assert one(con, "SELECT count(*) FROM ref.icd10cm WHERE code <> upper(code)") == (0,)


def test_retention_schedule_states_and_sources(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT state, adult_years, minor_age_of_majority + minor_years_after_majority, source "
        "FROM ref.retention_schedule WHERE record_type = '*' ORDER BY state"
    ).fetchall()
    by_state = {r[0]: r[1:] for r in rows}
    assert set(by_state) >= {"DEFAULT", "FL", "TX", "NC", "NV", "NY"}
    assert by_state["TX"][:2] == (10, 20)
    assert by_state["NC"][:2] == (11, 30)
    assert by_state["NV"][:2] == (5, 23)
    assert by_state["NY"][:2] == (6, 21)
    assert by_state["FL"][0] == 7 and by_state["DEFAULT"][0] == 10
    assert all(src and len(src) > 10 for _, _, src in by_state.values())
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'ref' AND table_name = 'retention_schedule'"
        ).fetchall()
    )
    assert types["adult_years"] == "INTEGER" and types["minor_age_of_majority"] == "INTEGER"


def test_every_reference_csv_is_a_table_with_a_sidecar(con: duckdb.DuckDBPyConnection) -> None:
    ref_tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ref'"
        ).fetchall()
    }
    for csv in sorted((warehouse_dir() / "reference").glob("*.csv")):
        assert csv.stem in ref_tables, csv
        assert csv.with_suffix(".md").is_file(), f"{csv.name} needs a sidecar {csv.stem}.md"


def test_plugin_modules_exclude_builtins() -> None:
    assert not {"icd10cm", "retention"} & set(plugin_modules())


def test_icd10cm_is_cached_per_process() -> None:
    # The rule-case harness builds many warehouses: only the first build may walk the
    # 98k-item tabular list; later ones copy the cached Arrow table (0.03-0.3 s measured, by load).
    from himaudit.reference.icd10cm import build_icd10cm, icd10cm_arrow

    assert icd10cm_arrow() is icd10cm_arrow()
    c = duckdb.connect()
    c.execute("CREATE SCHEMA ref")
    build_icd10cm(c)  # warm
    start = time.perf_counter()
    for _ in range(3):
        fresh = duckdb.connect()
        fresh.execute("CREATE SCHEMA ref")
        assert build_icd10cm(fresh) > 90_000
    per_build = (time.perf_counter() - start) / 3
    assert per_build < 2.0, per_build  # loose: the machine may be busy; uncached is 1-5 s


def test_build_reference_reports_rows_per_table() -> None:
    c = duckdb.connect()
    built = build_reference(c)
    assert built["icd10cm"] > 90_000 and built["retention_schedule"] >= 6
