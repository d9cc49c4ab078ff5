"""Shared derived views (warehouse/derived/*.sql): well-formed, portable, created in
dependency order, and giving the rules that read them the same figures the rules publish."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import polars as pl
import pytest

from himaudit.generate.profile import load_profile
from himaudit.generate.runner import build_hospital
from himaudit.generate.tables.retention import retention_ends
from himaudit.generate.writer import to_contract
from himaudit.load.warehouse import init_warehouse
from himaudit.scan.derived import (
    DerivedViewError,
    create_views,
    creation_order,
    derived_views,
    parse_view,
    referenced_views,
)
from himaudit.scan.registry import list_rules, reads_views, ruleset_version
from himaudit.scan.runner import rule_params, run_rule, run_summary
from himaudit.scan.sql_lint import lint_sql

VIEWS = derived_views()


def test_bundled_views_exist_and_are_read_by_rules() -> None:
    assert {
        "record_retention",
        "inpatient_record_deficiencies",
        "released_disclosures",
        "diagnosis_lines",
    } <= set(VIEWS)
    read = {v.name for r in list_rules(python=False, gx=False) for v in reads_views(r)}
    assert read == set(VIEWS), f"unused derived views: {sorted(set(VIEWS) - read)}"


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_sql_is_portable(name: str) -> None:
    sql = VIEWS[name].sql
    assert lint_sql(sql) == []
    # the lint really reads view files: a forbidden idiom inside one is caught
    assert lint_sql(sql.replace("SELECT", "SELECT now() AS t,", 1))


def test_every_view_is_created_on_an_empty_warehouse() -> None:
    con = duckdb.connect()
    init_warehouse(con)
    assert sorted(create_views(con)) == sorted(VIEWS)
    for name in VIEWS:
        assert con.execute(f"SELECT count(*) FROM derived.{name}").fetchall() == [(0,)]


def _write(tmp_path: Path, name: str, sql: str) -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(sql, encoding="utf-8")
    return path


def test_dependency_order_and_malformed_views(tmp_path: Path) -> None:
    a = parse_view(_write(tmp_path, "a", "CREATE OR REPLACE VIEW derived.a AS SELECT 1 AS x"))
    b = parse_view(
        _write(tmp_path, "b", "-- derived.zz in a comment is no dependency\n"
               "CREATE OR REPLACE VIEW derived.b AS SELECT x FROM derived.a")
    )  # fmt: skip
    assert b.depends == ("a",)
    assert [v.name for v in creation_order({"b": b, "a": a}, {"b"})] == ["a", "b"]
    c = dataclasses.replace(a, depends=("b",))
    with pytest.raises(DerivedViewError, match="cycle"):
        creation_order({"a": c, "b": b})
    with pytest.raises(DerivedViewError, match="expected 'CREATE OR REPLACE VIEW derived.d"):
        parse_view(_write(tmp_path, "d", "CREATE OR REPLACE VIEW derived.e AS SELECT 1 AS x"))
    with pytest.raises(DerivedViewError, match="no \\$parameters"):
        parse_view(_write(tmp_path, "f", "CREATE OR REPLACE VIEW derived.f AS SELECT $as_of"))
    assert referenced_views("SELECT * FROM derived.record_retention r -- derived.x") == {
        "record_retention"
    }


def test_ruleset_version_covers_the_views_a_rule_reads() -> None:
    (rule,) = [r for r in list_rules(python=False, gx=False) if r.id == "RET-001"]
    assert [v.name for v in reads_views(rule)] == ["record_retention"]
    edited = dataclasses.replace(rule, sql=rule.sql.replace("derived.record_retention", "x"))
    assert ruleset_version([rule]) != ruleset_version([edited])


@pytest.fixture(scope="module")
def hospital() -> tuple[duckdb.DuckDBPyConnection, object]:
    """A generated hospital with RET and DOC-009 defects, loaded into a real warehouse."""
    defects = {"RET-001": 5, "RET-003": 5, "DOC-009": 6}
    prof = dataclasses.replace(load_profile("training-basic", patients=1200), defects=defects)
    ctx = build_hospital(prof, 11)
    con = duckdb.connect()
    init_warehouse(con)
    for table, df in ctx.tables.items():
        if table != "answer_key":
            con.register("rows_in", to_contract(table, df).to_arrow())
            con.execute(f"INSERT INTO {table} SELECT * FROM rows_in")
            con.unregister("rows_in")
    return con, prof


def test_doc009_summary_counts_exactly_the_flagged_records(hospital) -> None:
    con, prof = hospital
    rule = {r.id: r for r in list_rules(python=False, gx=False)}["DOC-009"]
    for days in (30, 90):
        flagged = run_rule(con, rule, prof.as_of, {"delinquent_days": days}).num_rows
        figures = run_summary(con, rule, rule_params(rule, prof.as_of, {"delinquent_days": days}))
        assert figures["delinquent_records"] == flagged
    assert run_rule(con, rule, prof.as_of).num_rows >= 6


def test_record_retention_agrees_with_the_generator(hospital) -> None:
    """The generator plants RET defects at the boundary with its own copy of the arithmetic
    (generate/tables/retention.py); both must give the same retention end for every record."""
    con, _ = hospital
    create_views(con, {"record_retention"})
    inv = con.sql("SELECT * FROM record_inventory").pl()
    pats = con.sql("SELECT * FROM patients").pl()
    gen = retention_ends(inv, pats).select("record_id", "retention_end")
    view = con.sql("SELECT record_id, retention_end AS view_end FROM derived.record_retention").pl()
    both = gen.join(view, on="record_id", how="inner")
    assert both.height == view.height > 0
    diff = both.filter(pl.col("retention_end").ne_missing(pl.col("view_end")))
    assert diff.height == 0, diff.head(5)
