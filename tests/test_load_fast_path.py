"""Loader fast path: a contract-typed Parquet is copied without casts or a scratch scan of
its values, hashes computed beside the inserts are right, and ``ref`` is still built."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from himaudit.contract import load_contract
from himaudit.load.casts import select_list, unparsable_sql
from himaudit.load.loader import _inspect, load_directory


def _write_users(folder: Path, *, hired_as_text: bool) -> Path:
    n = 50
    hired = [dt.datetime(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    path = folder / "users.parquet"
    pq.write_table(
        pa.table(
            {
                "user_id": [f"U{i:06d}" for i in range(n)],
                "first_name": ["Ann"] * n,
                "last_name": ["Lee"] * n,
                "role": ["nurse"] * n,
                "hired_at": [h.isoformat(sep=" ") for h in hired] if hired_as_text else hired,
            }
        ),
        path,
    )
    return path


def test_contract_typed_parquet_needs_no_cast_and_no_value_scan(tmp_path: Path) -> None:
    path = _write_users(tmp_path, hired_as_text=False)
    source = _inspect(load_contract()["users"], path, "utf-8", tmp_path)
    items, extras = select_list(source)
    assert extras == []
    assert all(item.split(" AS ")[0].startswith('"') for item in items), items  # bare columns
    assert unparsable_sql(source) is None  # phase 2 is a metadata-only count(*)


def test_text_typed_parquet_still_gets_checked(tmp_path: Path) -> None:
    path = _write_users(tmp_path, hired_as_text=True)
    source = _inspect(load_contract()["users"], path, "utf-8", tmp_path)
    assert unparsable_sql(source) is not None  # the fast path must not skip real casts


def test_hashes_from_the_side_thread_and_reference_tables(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    path = _write_users(src, hired_as_text=False)
    wh = tmp_path / "wh.duckdb"
    result = load_directory(src, wh)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert [t.sha256 for t in result.tables] == [digest]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT sha256, rows FROM audit.loaded_tables").fetchall() == [
            (digest, 50)
        ]
        assert con.execute("SELECT count(*) FROM ref.icd10cm").fetchall()[0][0] > 90_000
        assert con.execute("SELECT count(*) FROM ref.retention_schedule").fetchall()[0][0] > 0
    finally:
        con.close()
