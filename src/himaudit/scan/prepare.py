"""Turn the scan INPUT into ``OUTDIR/warehouse.duckdb`` and find the run's as-of.

INPUT is a directory of canonical-table files (loaded with the foundation loader) or an
existing warehouse file (copied: inputs are never modified). The new warehouse is built
under a temporary name and swapped in atomically, carrying the run history of the previous
``OUTDIR/warehouse.duckdb`` so ``--compare`` and scheduled jobs see every earlier run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from himaudit.errors import InputError
from himaudit.scan.history import HISTORY_TABLES, ensure_history
from himaudit.scan.outputs import tmp_path
from himaudit.scan.runner import as_timestamp

if TYPE_CHECKING:
    import duckdb

WAREHOUSE_NAME = "warehouse.duckdb"
_DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")


def is_warehouse_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in _DUCKDB_SUFFIXES


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _carry_history(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Copy audit.runs/findings/rule_results of the previous warehouse into the new one."""
    ensure_history(con)
    con.execute(f"ATTACH '{str(previous).replace(chr(39), chr(39) * 2)}' AS prev (READ_ONLY)")
    try:
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() "
                "WHERE database_name = 'prev' AND schema_name = 'audit'"
            ).fetchall()
        }
        for table in HISTORY_TABLES:
            if table in have:
                con.execute(f"DELETE FROM audit.{table}")
                con.execute(f"INSERT INTO audit.{table} BY NAME SELECT * FROM prev.audit.{table}")
    finally:
        con.execute("DETACH prev")


def prepare_warehouse(
    input_path: Path, out: Path, *, encoding: str | None = None, max_bad_share: float | None = None
) -> Path:
    """Build OUTDIR/warehouse.duckdb from INPUT; return its path."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    target = out / WAREHOUSE_NAME
    if is_warehouse_file(input_path) and input_path.resolve() == target.resolve():
        return target  # rescanning our own output: history is already inside
    tmp = tmp_path(target)
    tmp.unlink(missing_ok=True)
    try:
        if input_path.is_dir():
            from himaudit.load.loader import load_directory

            kwargs: dict[str, Any] = {}
            if encoding is not None:
                kwargs["encoding"] = encoding
            if max_bad_share is not None:
                kwargs["max_bad_share"] = max_bad_share
            load_directory(input_path, tmp, **kwargs)
        elif is_warehouse_file(input_path):
            shutil.copyfile(input_path, tmp)
            _conform_copy(tmp, str(input_path))
        else:
            raise InputError(
                "INPUT must be a directory of table files or a .duckdb warehouse",
                file=str(input_path),
            )
        if target.is_file():
            con = duckdb.connect(str(tmp))
            try:
                _carry_history(con, target)
            finally:
                con.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return target


def _conform_copy(copy: Path, source: str) -> None:
    """Hold the scan's copy of a warehouse INPUT to the data contract (scan/conform.py)."""
    import duckdb

    from himaudit.scan.conform import conform_warehouse

    try:
        con = duckdb.connect(str(copy))
    except duckdb.Error as err:
        raise InputError(f"is not a readable DuckDB database ({err})", file=source) from err
    try:
        conform_warehouse(con, source)
    finally:
        con.close()


def manifest_as_of(input_path: Path) -> datetime | None:
    """as_of from the dataset's manifest.json (next to the tables or the warehouse file)."""
    folder = input_path if input_path.is_dir() else input_path.parent
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        value = json.loads(manifest.read_text(encoding="utf-8")).get("as_of")
    except (ValueError, AttributeError):
        raise InputError("manifest.json is not a JSON object", file=str(manifest)) from None
    return as_timestamp(value) if value else None


def recorded_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """as_of recorded in the warehouse: a loaded manifest, else the latest run's as_of."""
    tables = {
        (r[0], r[1])
        for r in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
    }
    if ("audit", "manifest") in tables:
        cols = [r[0] for r in con.execute("DESCRIBE audit.manifest").fetchall()]
        if "as_of" in cols:
            rows = con.execute(
                "SELECT max(CAST(as_of AS TIMESTAMP)) FROM audit.manifest"
            ).fetchall()
            if rows and rows[0][0] is not None:
                return rows[0][0]
    if ("audit", "runs") in tables:
        rows = con.execute(
            "SELECT as_of FROM audit.runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchall()
        if rows and rows[0][0] is not None:
            return rows[0][0]
    return None


def supplied_tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    """Row counts of the canonical tables the input supplied (absent ones are left out).

    audit.loaded_tables says which files the loader saw; for a warehouse not built by the
    loader (no such records), a non-empty table counts as supplied."""
    loaded: dict[str, int] = {}
    has_log = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
        "AND table_name = 'loaded_tables'"
    ).fetchall()[0][0]
    if has_log:
        for name, rows in con.execute(
            "SELECT table_name, sum(rows) FROM audit.loaded_tables GROUP BY table_name"
        ).fetchall():
            loaded[name] = int(rows or 0)
    counts: dict[str, int] = {}
    for table in tables:
        if loaded and table not in loaded:
            continue
        n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if n:
            counts[table] = int(n)
    return counts


def input_inventory(con: duckdb.DuckDBPyConnection, input_path: Path) -> list[dict[str, Any]]:
    """What audit.runs records about the input: files and their content hashes."""
    rows: list[dict[str, Any]] = []
    try:
        for table, file, n, sha in con.execute(
            "SELECT table_name, file, rows, sha256 FROM audit.loaded_tables ORDER BY table_name"
        ).fetchall():
            rows.append({"table": table, "file": file, "rows": n, "sha256": sha})
    except Exception:  # noqa: BLE001 - a foreign warehouse may lack the table
        rows = []
    if not rows and input_path.is_file():
        rows.append({"file": str(input_path), "sha256": sha256_file(input_path)})
    return rows
