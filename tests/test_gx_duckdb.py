"""GX 1.24 pushed down to DuckDB: the workarounds in himaudit.scan.gx_duckdb still hold,
and the GX stage (himaudit.scan.gx_stage) turns failed expectations into findings.

These tests fail loudly when a GX / duckdb-engine release changes what the workarounds rely
on (FACTS.md): the persisted-connection tuple, regex compiling through the postgresql
dialect, unexpected_index_query, and every connection being closed afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from himaudit.load.warehouse import init_warehouse
from himaudit.scan.gx_stage import run_gx_rules
from himaudit.scan.registry import list_rules

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gx") / "wh.duckdb"
    con = duckdb.connect(str(path))
    init_warehouse(con, reference=False)
    con.execute(
        "INSERT INTO patients (mrn, first_name, last_name, sex, birth_date, zip, phone, ssn) VALUES "
        "('M00000001', 'Ann', 'Lee', 'F', DATE '1980-01-01', '12345', '555-123-4567', '900-12-3456'),"
        "('M00000002', 'Bo', NULL, 'Q', DATE '1975-05-05', '1234', '555-1234', '900123456'),"
        "('M 0003', 'Cy', 'Ng', 'M', DATE '1990-02-02', '12345-6789', '(555) 123-4567', NULL)"
    )
    con.execute(
        "INSERT INTO diagnoses (encounter_id, seq, code) VALUES "
        "('E1', 1, 'E11.9'), ('E1', 2, 'U071'), ('E1', 0, 'I10'), ('E2', 1, '11.9X'), "
        "('E1', 1, 'I10'), ('E3', NULL, 'I10'), ('E3', NULL, 'I10')"  # E1:1 twice; NULL keys
    )
    con.execute(  # U1 three times: a duplicated key
        "INSERT INTO users (user_id, first_name, last_name, role, hired_at) "
        "SELECT u, 'Al', 'Ng', 'nurse', TIMESTAMP '2020-01-01' "
        "FROM (VALUES ('U1'), ('U1'), ('U1'), ('U2')) AS t(u)"
    )
    con.execute(
        "INSERT INTO procedures (encounter_id, seq, code_system, code, units, performed_at) VALUES "
        "('E1', 1, 'CPT', '99213', 1, TIMESTAMP '2025-01-01 10:00'), "
        "('E1', 2, 'CPT', '99213', 0, TIMESTAMP '2025-01-01 10:00')"
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def outcomes(warehouse: Path) -> dict:
    from himaudit.scan.gx_stage import run_gx_rules

    rules = [r for r in list_rules(python=False) if r.kind == "gx"]
    cwd = Path.cwd()
    before = set(cwd.iterdir())
    result = run_gx_rules(warehouse, rules)
    assert set(cwd.iterdir()) == before, "GX left files behind (context must be ephemeral)"
    return result


def _keys(outcomes: dict, rule_id: str) -> set[tuple[str, str]]:
    table = outcomes.get(rule_id)
    assert not isinstance(table, BaseException), f"{rule_id} errored: {table}"
    if table is None:
        return set()
    return set(
        zip(
            table.column("table_name").to_pylist(),
            table.column("record_key").to_pylist(),
            strict=True,
        )
    )


def test_gx_version_and_persisted_connection_hook() -> None:
    from himaudit.scan.gx_duckdb import import_gx

    gx = import_gx()
    assert gx.__version__.startswith("1.24."), "re-verify gx_duckdb workarounds on a new GX"
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    from great_expectations.execution_engine import sqlalchemy_execution_engine as see

    assert "duckdb" in see._PERSISTED_CONNECTION_DIALECTS
    assert see._dialect_requires_persisted_connection(connection_string="duckdb:///x.db")


def test_required_fields(outcomes: dict) -> None:
    # a NULL key part shows as empty: the two (E3, NULL) lines are one finding "E3:"
    assert _keys(outcomes, "DQ-101") == {("patients", "M00000002"), ("diagnoses", "E3:")}


def test_duplicate_keys_one_finding_per_key(outcomes: dict) -> None:
    """DQ-020 (expect_column_values_to_be_unique_key): one finding per duplicated key, with
    its row count; rows with a NULL key part are not judged."""
    assert _keys(outcomes, "DQ-020") == {("diagnoses", "E1:1"), ("users", "U1")}
    evidence = {r["record_key"]: json.loads(r["evidence"]) for r in outcomes["DQ-020"].to_pylist()}
    assert evidence["U1"]["copies"] == 3 and evidence["E1:1"]["copies"] == 2
    assert "appears 3 times in users" in outcomes["DQ-020"].to_pylist()[1]["message"]


def test_unique_key_counts_like_gx_own_expectations(warehouse: Path) -> None:
    """The grouped condition counts exactly the rows GX's own (window-based) uniqueness
    expectations count, on a single and on a compound key."""
    from himaudit.scan.gx_duckdb import GXWarehouse

    gxw = GXWarehouse(warehouse)
    try:
        for table, ours, stock in [
            ("users", {"column": "user_id"},
             ("expect_column_values_to_be_unique", {"column": "user_id"})),
            ("diagnoses", {"column": "encounter_id", "with_columns": ["seq"]},
             ("expect_compound_columns_to_be_unique", {"column_list": ["encounter_id", "seq"],
                                                       "ignore_row_if": "any_value_is_missing"})),
        ]:  # fmt: skip
            suite = gxw.gx.ExpectationSuite(
                name=f"compare_{table}",
                expectations=[
                    {"type": "expect_column_values_to_be_unique_key", "kwargs": ours,
                     "meta": {"himaudit_item": "ours"}},
                    {"type": stock[0], "kwargs": stock[1], "meta": {"himaudit_item": "stock"}},
                ],
            )  # fmt: skip
            results = gxw._batch(table).validate(suite, result_format="SUMMARY").results
            counts = {
                r.expectation_config.meta["himaudit_item"]: r.result.get("unexpected_count")
                for r in results
            }
            assert not any(r.success for r in results), table
            assert counts["ours"] is not None and counts["ours"] == counts["stock"], counts
    finally:
        gxw.close()


def test_identifier_and_code_shapes(outcomes: dict) -> None:
    # regex expectations compile to `~` through the postgresql dialect and run in DuckDB
    assert _keys(outcomes, "DQ-102") == {("patients", "M 0003"), ("diagnoses", "E2:1")}


def test_icd10cm_shape_fits_every_code_of_the_code_set() -> None:
    """DQ-102's ICD-10-CM shape (diagnoses suite) accepts every code of the bundled code set,
    dotted and undotted (FY2026's QA0.0 has a letter second), in either case, and refuses
    malformed ones."""
    import json
    import re

    from himaudit.paths import expectations_dir
    from himaudit.reference.icd10cm import icd10cm_arrow

    suite = json.loads((expectations_dir() / "diagnoses.json").read_text())
    (regex,) = [
        e["kwargs"]["regex"]
        for e in suite["expectations"]
        if e["meta"]["rule_id"] == "DQ-102" and e["kwargs"]["column"] == "code"
    ]
    shape = re.compile(regex)
    table = icd10cm_arrow()
    codes = table.column("code").to_pylist() + table.column("code_dotted").to_pylist()
    assert len(codes) > 190_000
    assert [c for c in codes if not shape.fullmatch(c)] == []
    for bad in ("11.9X", "E11 9", "E11.", "E11.91234", "E1", "E11-9", " E11.9"):
        assert not shape.fullmatch(bad), bad
    assert shape.fullmatch("e11.9") and shape.fullmatch("e119")  # case is not judged


def test_contact_formats_one_finding_per_row(outcomes: dict) -> None:
    keys = _keys(outcomes, "DQ-103")
    assert keys == {("patients", "M00000002")}  # zip, phone and ssn bad: one finding
    table = outcomes["DQ-103"]
    assert "1234" not in "".join(table.column("evidence").to_pylist())  # PHI values masked


def test_value_sets_and_ranges(outcomes: dict) -> None:
    assert _keys(outcomes, "DQ-104") == {("patients", "M00000002")}
    assert _keys(outcomes, "DQ-105") == {("procedures", "E1:2")}


def test_connections_closed_after_validation(warehouse: Path, outcomes: dict) -> None:
    con = duckdb.connect(str(warehouse))  # read-write: refused if GX still held the file
    con.close()


def test_regex_without_dialect_workaround_still_fails(warehouse: Path) -> None:
    """If GX ever supports DuckDB regex natively, drop workaround 2 in gx_duckdb."""
    from himaudit.scan.gx_duckdb import GXWarehouse

    gxw = GXWarehouse(warehouse)
    try:
        gxw.engine.dialect_module = None
        results = gxw.validate(
            "patients",
            [{"type": "expect_column_values_to_match_regex",
              "kwargs": {"column": "mrn", "regex": "^M[0-9]{8}$"}, "meta": {}}],
        )  # fmt: skip
        from himaudit.scan.gx_stage import raised_exception

        assert raised_exception(results[0].to_json_dict()), "GX now runs regex on duckdb"
    finally:
        gxw.close()


def test_boolean_only_gives_the_index_query_only_when_asked(warehouse: Path) -> None:
    """run_gx_rules relies on GX 1.24 keeping unexpected_index_query under BOOLEAN_ONLY
    (first pass without it, second pass over the failed expectations with it)."""
    from himaudit.scan.gx_duckdb import GXWarehouse

    exp = {"type": "expect_column_values_to_match_regex",
           "kwargs": {"column": "mrn", "regex": "^M[0-9]{8}$"}, "meta": {}}  # fmt: skip
    gxw = GXWarehouse(warehouse)
    try:
        (plain,) = gxw.validate("patients", [exp])
        (keyed,) = gxw.validate("patients", [exp], keys=True)
    finally:
        gxw.close()
    assert plain.success is False and keyed.success is False
    assert not (plain.result or {}).get("unexpected_index_query")
    query = (keyed.result or {}).get("unexpected_index_query")
    assert query, "GX dropped unexpected_index_query under BOOLEAN_ONLY: use SUMMARY for pass 2"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(str(query)).fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == ["M 0003"]


def test_memoised_configuration_matches_gx_and_is_scoped() -> None:
    """Workaround 4: the memoised Expectation.configuration gives exactly GX's own answer for
    every shipped expectation, hands out independent copies, re-dumps a reassigned field and
    restores GX's property afterwards. Fails if GX 1.x changes the property it replaces."""
    from himaudit.scan.gx_duckdb import import_gx, memoised_configuration
    from himaudit.scan.gx_stage import _gx_expectation

    gx = import_gx()
    from great_expectations.expectations.expectation import Expectation

    original = Expectation.__dict__["configuration"]
    assert isinstance(original, property)
    items = [
        _gx_expectation(item, f"{rule.id}#{i}")
        for rule in list_rules(python=False)
        if rule.kind == "gx"
        for i, item in enumerate(rule.expectation["items"])
    ]
    suite = gx.ExpectationSuite(name="memo", expectations=items)
    expected = [e.configuration.to_json_dict() for e in suite.expectations]
    assert len(expected) >= 5
    with memoised_configuration():
        assert Expectation.__dict__["configuration"] is not original
        for exp, want in zip(suite.expectations, expected, strict=True):
            first, second = exp.configuration, exp.configuration
            assert first.to_json_dict() == want == second.to_json_dict()
            first.kwargs["column"] = "changed"  # a caller's edit must not leak to the next read
            first.meta["x"] = 1
            assert exp.configuration.to_json_dict() == want
            twin = exp.configuration.to_domain_obj()  # a new instance, same field objects
            assert twin is not exp and twin.configuration.to_json_dict() == want
        exp = suite.expectations[0]
        twin = exp.configuration.to_domain_obj()
        exp.column = "other_column"  # a reassigned field is dumped again
        assert exp.configuration.kwargs["column"] == "other_column"
        assert twin.configuration.kwargs["column"] == expected[0]["kwargs"]["column"]
        other = type(exp)(**{**expected[0]["kwargs"], "column": "third"})  # new values
        assert other.configuration.kwargs["column"] == "third"
    assert Expectation.__dict__["configuration"] is original


def test_reflection_answered_from_duckdb_catalogue(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workaround 6: during a real validation (GX builds a fresh inspector per batch) no
    pg_catalog reflection and no ``LIMIT`` column fallback reach DuckDB, and the column
    metadata GX gets equals what its own fallback gives (names, table order, primary key)."""
    import duckdb_engine
    import sqlalchemy as sa
    from great_expectations.expectations.metrics.util import (
        column_reflection_fallback,
        get_sqlalchemy_column_metadata,
    )

    import himaudit.scan.gx_duckdb as gxd

    sent: list[str] = []
    real = duckdb_engine.CursorWrapper.execute

    def spy(self, statement, parameters=None, context=None):  # noqa: ANN001, ANN202
        sent.append(statement)
        return real(self, statement, parameters, context)

    monkeypatch.setattr(duckdb_engine.CursorWrapper, "execute", spy)
    rules = [r for r in list_rules(python=False) if r.kind == "gx"]
    run_gx_rules(warehouse, rules)
    assert any("unexpected_count" in s for s in sent), "the spy saw no validation at all"
    reflective = [
        s for s in sent if "pg_catalog" in s or s.startswith("SELECT * ") and "LIMIT" in s
    ]
    assert reflective == [], f"GX reflected through SQL again: {reflective[0][:120]}"

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        pks = dict(
            con.execute(
                "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
                "WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        )
    finally:
        con.close()
    gxw = gxd.GXWarehouse(warehouse)
    try:
        gxw._batch("patients")  # the batch replaces the inspector, as in a validation
        meta = get_sqlalchemy_column_metadata(gxw.engine, sa.quoted_name("patients", quote=None))
        stock = column_reflection_fallback(
            sa.quoted_name("patients", quote=None), gxw.engine.engine.dialect, gxw.engine.engine
        )
        assert [dict(m) for m in meta or []] == [
            {**c, "primary_key": c["name"] in pks.get("patients", [])} for c in stock
        ]
    finally:
        gxw.close()


def test_plain_json_ids_equal_gx_ids(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workaround 9: every metric id computed during a real validation with the JSON
    conversion skipped equals the id GX's own conversion gives, and the skip fires."""
    from great_expectations.core import id_dict

    original = id_dict.convert_to_json_serializable
    converted = []  # what reached GX's own conversion from IDDict.to_id

    def counting(data):  # noqa: ANN001, ANN202
        converted.append(data)
        return original(data)

    monkeypatch.setattr(id_dict, "convert_to_json_serializable", counting)
    real_to_id = id_dict.IDDict.to_id
    seen: list[tuple[dict, tuple, dict, object]] = []

    def spy(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        got = real_to_id(self, *args, **kwargs)
        seen.append((dict(self), args, kwargs, got))
        return got

    monkeypatch.setattr(id_dict.IDDict, "to_id", spy)
    run_gx_rules(warehouse, [r for r in list_rules(python=False) if r.kind == "gx"])
    assert id_dict.convert_to_json_serializable is counting, "the patch outlived the stage"
    multi_key = [s for s in seen if len(s[0]) > 1]  # only these reach the conversion
    assert len(multi_key) > 500
    assert len(converted) * 10 < len(multi_key), "workaround 9 no longer fires"
    converted.clear()
    for data, args, kwargs, got in seen:  # GX's own conversion now: same ids
        assert real_to_id(id_dict.IDDict(data), *args, **kwargs) == got, data
    assert len(converted) >= len(multi_key)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"column": "mrn", "n": 3, "ok": True, "x": None, "f": 0.5, "l": [1, "a"]}, True),
        ({"nested": {"batch_id": "b", "row_condition": None}}, True),
        ({"when": __import__("datetime").date(2020, 1, 1)}, False),
        ({"f": float("nan")}, False),
        ({"s": {1, 2}}, False),
        ({1: "non-str key"}, False),
        ({"s": type("Sub", (str,), {})("x")}, False),
    ],
)
def test_plain_json_is_strict(value: object, plain: bool) -> None:
    from himaudit.scan.gx_duckdb import _plain_json

    assert _plain_json(value) is plain


def test_split_bundle_is_exact_and_fires(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workaround 8: every bundled aggregate GX sends is rewritten, and the rewrite returns
    exactly what GX's own SQL returns, on tables with failures and on empty ones (NULL)."""
    import himaudit.scan.gx_duckdb as gxd

    seen: list[tuple[list, list]] = []
    real = gxd._split_bundle

    def both(conn, cursor, statement, params, context, executemany):  # noqa: ANN001, ANN202
        sql, p = real(conn, cursor, statement, params, context, executemany)
        if sql != statement:
            cursor.execute(statement, p)
            want = cursor.fetchall()
            cursor.execute(sql, p)
            seen.append((want, cursor.fetchall()))
        return sql, p

    monkeypatch.setattr(gxd, "_split_bundle", both)
    rules = [r for r in list_rules(python=False) if r.kind == "gx"]
    run_gx_rules(warehouse, rules)
    assert len(seen) >= 10, "GX's bundled query changed shape: workaround 8 no longer fires"
    for want, got in seen:
        assert [[None if v is None else int(v) for v in r] for r in got] == [
            [None if v is None else int(v) for v in r] for r in want
        ]
    values = [v for want, _ in seen for v in want[0]]
    assert None in values and any(v for v in values)  # empty tables and real failures
