"""schema.sql is the contract: it parses, DuckDB agrees with the parse, every table has a key."""

from __future__ import annotations

import duckdb

from himaudit.contract import canonical_tables, load_contract, parse_schema
from himaudit.paths import schema_sql

DESIGN_TABLES = {
    "patients", "users", "encounters", "care_team", "diagnoses", "procedures", "notes",
    "access_log", "authorizations", "disclosures", "record_inventory", "legal_holds",
    "answer_key",
}  # fmt: skip


def test_schema_parses_into_every_design_table() -> None:
    contract = load_contract()
    assert set(contract) == DESIGN_TABLES
    assert "answer_key" not in canonical_tables()
    for table in contract.values():
        assert table.columns, table.name
        assert table.key, f"{table.name} has no key"
        assert set(table.key) <= set(table.column_names), table.name
        assert set(table.key) <= set(table.required), f"{table.name}: key columns are required"


def test_parse_matches_duckdb_information_schema() -> None:
    con = duckdb.connect()
    con.execute(schema_sql().read_text(encoding="utf-8"))
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    from_duckdb: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        from_duckdb.setdefault(table, []).append((column, dtype))
    from_parse = {t.name: [(c.name, c.type) for c in t.columns] for t in load_contract().values()}
    assert from_duckdb == from_parse


def test_no_constraints_so_defects_can_load() -> None:
    # Duplicate and orphan keys are findings, not load failures.
    con = duckdb.connect()
    con.execute(schema_sql().read_text(encoding="utf-8"))
    assert con.execute("SELECT count(*) FROM duckdb_constraints()").fetchall()[0][0] == 0
    con.execute("INSERT INTO patients (mrn) VALUES ('M1'), ('M1'), (NULL)")


def test_parser_refuses_a_table_without_key() -> None:
    import pytest

    with pytest.raises(ValueError, match="no '-- key:'"):
        parse_schema("CREATE TABLE t (\n    a VARCHAR\n);\n")


def test_record_key_sql_joins_line_keys() -> None:
    contract = load_contract()
    assert contract["diagnoses"].record_key_sql("d") == (
        "CAST(d.encounter_id AS VARCHAR) || ':' || CAST(d.seq AS VARCHAR)"
    )
    assert contract["notes"].record_key_sql() == "CAST(note_id AS VARCHAR)"
