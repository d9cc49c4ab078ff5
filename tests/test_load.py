"""load_directory on CSV and Parquet: types, extra/optional columns, reloads, history kept."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from himaudit.contract import load_contract
from himaudit.errors import InputError
from himaudit.load.loader import load_directory


def column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ?",
            [table],
        ).fetchall()
    )


def test_sample_csv_loads_every_table_with_contract_types(sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    contract = load_contract()
    for name, table in contract.items():
        types = column_types(con, name)
        assert {c: types[c] for c in table.column_names} == {
            c.name: c.type for c in table.columns
        }, name
    loaded = dict(con.execute("SELECT table_name, rows FROM audit.loaded_tables").fetchall())
    assert set(loaded) == set(contract) - {"answer_key"}
    assert all(rows > 0 for rows in loaded.values())
    row = con.execute(
        "SELECT birth_date, registered_at, is_vip FROM patients WHERE mrn = 'M00000005'"
    ).fetchall()[0]
    assert row == (dt.date(1990, 1, 15), dt.datetime(2021, 6, 30, 16, 20), True)
    assert con.execute("SELECT count(*) FROM audit.load_issues").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM ref.icd10cm").fetchall()[0][0] > 90_000


def test_parquet_typed_and_text_columns(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    n = 1000
    pq.write_table(
        pa.table(
            {
                "event_id": [f"A{i:011d}" for i in range(n)],
                "user_id": ["U000001"] * n,
                "mrn": [f"M{i % 7:08d}" for i in range(n)],
                # native timestamps (microseconds) copy straight through
                "accessed_at": pa.array(
                    [dt.datetime(2025, 1, 1) + dt.timedelta(minutes=i) for i in range(n)],
                    pa.timestamp("us"),
                ),
                "action": ["view"] * n,
                "break_the_glass": [i == 3 for i in range(n)],
                "session_id": pa.array(range(n), pa.int64()),  # extra column, kept as BIGINT
            }
        ),
        src / "access_log.parquet",
    )
    # diagnoses with seq as int64 (contract INTEGER) and a text timestamp in procedures
    pq.write_table(
        pa.table(
            {
                "encounter_id": ["E1", "E1"],
                "seq": pa.array([1, 2], pa.int64()),
                "code": ["E11.9", "I10"],
            }
        ),
        src / "diagnoses.parquet",
    )
    wh = tmp_path / "wh.duckdb"
    result = load_directory(src, wh)
    assert {t.table: t.rows for t in result.tables} == {"access_log": n, "diagnoses": 2}
    assert result.issue_count == 0
    con = duckdb.connect(str(wh), read_only=True)
    types = column_types(con, "access_log")
    assert types["accessed_at"] == "TIMESTAMP" and types["session_id"] == "BIGINT"
    assert types["workstation"] == "VARCHAR"  # optional, absent -> NULL column
    assert con.execute(
        "SELECT count(*), count_if(break_the_glass), count(workstation), max(accessed_at) "
        "FROM access_log"
    ).fetchall()[0] == (n, 1, 0, dt.datetime(2025, 1, 1) + dt.timedelta(minutes=n - 1))
    assert column_types(con, "diagnoses")["seq"] == "INTEGER"
    # Tables absent from the input exist, empty, so rules can say "not applicable".
    assert con.execute("SELECT count(*) FROM notes").fetchall()[0][0] == 0


def test_reload_replaces_data_but_keeps_scan_history(tmp_path: Path, sample_dir: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    load_directory(sample_dir, wh)
    con = duckdb.connect(str(wh))
    con.execute("CREATE TABLE audit.runs (run_id VARCHAR)")
    con.execute("INSERT INTO audit.runs VALUES ('r1')")
    con.close()
    only_users = tmp_path / "users_only"
    only_users.mkdir()
    shutil.copy(sample_dir / "users.csv", only_users / "users.csv")
    result = load_directory(only_users, wh)
    assert [t.table for t in result.tables] == ["users"]
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT run_id FROM audit.runs").fetchall() == [("r1",)]
    assert con.execute("SELECT count(*) FROM patients").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM users").fetchall()[0][0] == 5
    assert con.execute("SELECT table_name FROM audit.loaded_tables").fetchall() == [("users",)]


def test_fatal_error_leaves_existing_warehouse_and_new_path_alone(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.csv").write_text("note_id,encounter_id\nN1,E1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.csv, column mrn, note_type"):
        load_directory(bad, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()
    existing = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_warehouse, existing)
    with pytest.raises(InputError):
        load_directory(bad, existing)
    con = duckdb.connect(str(existing), read_only=True)
    assert con.execute("SELECT count(*) FROM patients").fetchall()[0][0] == 5


def test_refuses_a_foreign_duckdb_file(tmp_path: Path, sample_dir: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE patients AS SELECT 42 AS precious")
    con.close()
    with pytest.raises(InputError, match="not a himaudit warehouse"):
        load_directory(sample_dir, other)
    con = duckdb.connect(str(other), read_only=True)
    assert con.execute("SELECT precious FROM patients").fetchall() == [(42,)]


def test_headers_match_case_insensitively_and_other_delimiters(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "legal_holds.csv").write_text(
        "Hold_ID;MRN;Started_At;note\nH1;M1;2025-01-01 09:00:00;x;y\nH2;M2;2025-02-01;z\n",
        encoding="utf-8",
    )
    result = load_directory(src, tmp_path / "wh.duckdb", max_bad_share=0.5)
    assert result.tables[0].rows == 1 and result.tables[0].rejected_rows == 1
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT hold_id, started_at, note FROM legal_holds").fetchall() == [
        ("H2", dt.datetime(2025, 2, 1), "z")
    ]
