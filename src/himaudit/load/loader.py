"""``load_directory``: a dataset directory (CSV/Parquet per canonical table) -> DuckDB warehouse.

Three phases, so that every input mistake fails before the warehouse is touched:

1. inspect files (extension vs content, encoding, header, required columns) — no row reads;
2. read every file once in a scratch in-memory DuckDB: count rows, collect malformed rows
   (DuckDB's rejects store) and unparsable values, enforce ``max_bad_share``;
3. open the warehouse and replace the canonical tables, ``ref`` and the load bookkeeping in ONE
   transaction; any failure rolls back (a file created by this call is removed).

Two jobs that are pure Python (or hashing, which releases the GIL) run in a background thread
while DuckDB — which releases the GIL — reads and inserts the files: the sha256 of every
input and the first build of the ``ref`` tables (ICD-10-CM parsing, cached per process).
``ref`` is then copied from the warm caches after the inserts, in the same transaction.
A well-typed Parquet file costs one metadata-only count in phase 2 and one
``INSERT … SELECT`` from ``read_parquet`` in phase 3: it never passes through Python.

``audit.runs`` / ``audit.findings`` and any other table the scan engine keeps survive a reload.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from himaudit.contract import Table, load_contract
from himaudit.errors import InputError
from himaudit.load.casts import ident, reader_sql, select_list
from himaudit.load.sources import (
    Source,
    SourceColumn,
    check_columns,
    check_kind,
    csv_header,
    discover,
    prepare_text,
    sha256,
)
from himaudit.load.validate import ISSUE_COLUMNS, Checked, check_source

#: How many issues LoadResult carries in Python; the warehouse always holds all of them.
MAX_RESULT_ISSUES = 1000


@dataclass(frozen=True)
class LoadedTable:
    table: str
    file: Path
    rows: int
    sha256: str
    rejected_rows: int = 0


@dataclass(frozen=True)
class LoadIssue:
    file: str
    table_name: str
    row_number: int | None
    line: int | None
    column_name: str | None
    raw_value: str | None
    issue: str  # 'unparsable_value' | 'malformed_row'
    record_key: str | None
    detail: str | None


@dataclass
class LoadResult:
    warehouse: Path
    load_id: str
    tables: list[LoadedTable]
    issue_count: int  # all issues (audit.load_issues holds every one)
    issues: list[LoadIssue] = field(default_factory=list)  # the first MAX_RESULT_ISSUES
    ignored_files: list[Path] = field(default_factory=list)


def load_directory(
    src: Path,
    warehouse: Path,
    *,
    encoding: str = "utf-8",
    max_bad_share: float = 0.05,
) -> LoadResult:
    """Load every ``<table>.csv|.parquet`` in ``src`` into the DuckDB file ``warehouse``."""

    src, warehouse = Path(src), Path(warehouse)
    if not 0 <= max_bad_share <= 1:
        raise InputError(f"--max-bad-share must be between 0 and 1 (got {max_bad_share})")
    found, ignored = discover(src)
    contract = load_contract()
    with tempfile.TemporaryDirectory(prefix="himaudit-load-") as tmp:
        sources = [_inspect(contract[t], path, encoding, Path(tmp)) for t, path in found]
        # Not joined on a failed load: a bad input is reported at once (the daemon thread
        # only hashes and fills process caches).
        side = _SideJobs([s.path for s in sources])
        scratch = _connect()
        try:
            checked = [_check(scratch, s, max_bad_share) for s in sources]
        finally:
            scratch.close()
        load_id = uuid.uuid4().hex[:16]
        tables = _write_warehouse(warehouse, checked, side, load_id)
    import pyarrow as pa

    all_issues = pa.concat_tables([c.issues for c in checked]) if checked else None
    head = all_issues.slice(0, MAX_RESULT_ISSUES).to_pylist() if all_issues else []
    return LoadResult(
        warehouse=warehouse,
        load_id=load_id,
        tables=tables,
        issue_count=all_issues.num_rows if all_issues else 0,
        issues=[LoadIssue(**row) for row in head],
        ignored_files=ignored,
    )


def _inspect(table: Table, path: Path, encoding: str, workdir: Path) -> Source:
    kind = path.suffix.lower().lstrip(".")
    check_kind(path, kind, encoding)
    source = Source(table=table, path=path, kind=kind)
    if kind == "csv":
        source.read_path = prepare_text(path, encoding, workdir)
        source.columns, source.delimiter = csv_header(source.read_path, table)
    else:
        source.columns = _parquet_columns(path, table)
    check_columns(source)
    return source


def _parquet_columns(path: Path, table: Table) -> list[SourceColumn]:
    import duckdb

    con = _connect()
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as err:
        raise InputError(f"unreadable Parquet: {_first_line(err)}", file=path.name) from None
    finally:
        con.close()
    # Contract names match case-insensitively; the reader still sees the original name.
    known = {c.lower(): c for c in table.column_names}
    return [
        SourceColumn(name=known.get(name.lower(), name), source_type=str(dtype), ref=name)
        for name, dtype, *_ in described
    ]


def _check(con, source: Source, max_bad_share: float) -> Checked:
    import duckdb

    try:
        return check_source(con, source, max_bad_share)
    except duckdb.Error as err:
        raise InputError(f"unreadable: {_first_line(err)}", file=source.name) from None


class _SideJobs:
    """Hash the inputs and warm the reference caches in a thread, overlapping the inserts."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.hashes: dict[Path, str] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="himaudit-load-side", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for path in self.paths:
                self.hashes[path] = sha256(path)
            from himaudit.reference import build_reference

            con = _connect()  # throwaway: only the per-process caches it fills matter
            try:
                build_reference(con)
            finally:
                con.close()
        except BaseException as err:  # noqa: BLE001 - re-raised or redone in the caller
            self.error = err

    def join(self) -> dict[Path, str]:
        """Wait for the thread; the hashes (recomputed here if the thread failed)."""
        self.thread.join()
        for path in self.paths:
            if path not in self.hashes:
                self.hashes[path] = sha256(path)
        return self.hashes


def _write_warehouse(
    warehouse: Path, checked: list[Checked], side: _SideJobs, load_id: str
) -> list[LoadedTable]:
    import duckdb

    from himaudit.load.warehouse import replace_dataset
    from himaudit.reference import build_reference

    created = not warehouse.exists()
    if created:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = _connect(warehouse)
    except duckdb.Error as err:
        raise InputError(
            f"cannot open warehouse: {_first_line(err)}", file=str(warehouse)
        ) from None
    tables: list[LoadedTable] = []
    current = ""
    try:
        con.execute("BEGIN TRANSACTION")
        replace_dataset(con, new=created, reference=False)
        loaded_at = datetime.now().replace(microsecond=0)
        for c in checked:
            current = c.source.name
            tables.append(_insert(con, c, loaded_at))
            _insert_issues(con, c, load_id)
        current = ""
        hashes = side.join()
        con.executemany(
            "UPDATE audit.loaded_tables SET sha256 = ? WHERE file = ?",
            [[hashes[c.source.path], str(c.source.path.resolve())] for c in checked],
        )
        build_reference(con)  # from the caches the side thread filled: a fraction of a second
        con.execute("COMMIT")
        tables = [replace(t, sha256=hashes[t.file]) for t in tables]
    except BaseException as err:
        con.execute("ROLLBACK")
        con.close()
        if created:
            for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                leftover.unlink(missing_ok=True)
        if isinstance(err, duckdb.Error):
            raise InputError(f"load failed: {_first_line(err)}", file=current or None) from None
        raise
    con.close()
    return tables


def _insert(con, c: Checked, loaded_at: datetime) -> LoadedTable:
    source, table = c.source, c.source.table.name
    items, extras = select_list(source)
    for name, dtype in extras:
        con.execute(f"ALTER TABLE main.{table} ADD COLUMN {ident(name)} {dtype}")
    con.execute(
        f"INSERT INTO main.{table} BY NAME SELECT {', '.join(items)} "
        f"FROM {reader_sql(source, store_rejects=False)}"
    )
    rows = con.execute(f"SELECT count(*) FROM main.{table}").fetchall()[0][0]
    con.execute(  # sha256 is filled in once the side thread has hashed the file
        "INSERT INTO audit.loaded_tables VALUES (?, ?, ?, NULL, ?)",
        [table, str(source.path.resolve()), rows, loaded_at],
    )
    return LoadedTable(table, source.path, rows, "", c.rejected)


def _insert_issues(con, c: Checked, load_id: str) -> None:
    if c.issues.num_rows == 0:
        return
    view = f"_himaudit_issues_{uuid.uuid4().hex[:8]}"
    con.register(view, c.issues)
    try:
        cols = ", ".join(ISSUE_COLUMNS)
        con.execute(
            f"INSERT INTO audit.load_issues (load_id, {cols}) SELECT ?, {cols} FROM {view}",
            [load_id],
        )
    finally:
        con.unregister(view)


def _connect(path: Path | None = None):
    import duckdb

    con = duckdb.connect(str(path) if path else ":memory:")
    # DuckDB's progress bar would interleave with the CLI's own summary on stdout.
    con.execute("SET enable_progress_bar = false")
    return con


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
