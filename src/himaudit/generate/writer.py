"""Write a generated dataset atomically: stage everything, then rename into place.

Every file is first written whole into a staging directory inside ``--out`` (same
filesystem, so ``os.replace`` is an atomic rename). Only when the entire run succeeded are
the staged files renamed over the old ones; on any error or Ctrl-C the staging directory is
removed and the previous contents of ``--out`` are untouched. So there is never a
half-written table, and a directory never mixes two runs unless the rename loop itself is
interrupted (each file is still whole then).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import IO, Any

import polars as pl

from himaudit.contract import load_contract
from himaudit.errors import UsageError

FORMATS = ("parquet", "csv", "duckdb")
DUCKDB_FILE = "dataset.duckdb"

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
    "BOOLEAN": pl.Boolean(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
}


def contract_schema(table: str) -> dict[str, pl.DataType]:
    """Polars schema of a canonical table, in contract column order."""
    return {c.name: _POLARS_TYPES[c.type] for c in load_contract()[table].columns}


def to_contract(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Contract columns only, in contract order and types (absent optional columns → NULL).

    Casting here, once, means builders may use any convenient dtype and every output
    format carries exactly the types the loader and rules expect."""
    schema = contract_schema(table)
    return df.select(
        (pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c)
        for c, t in schema.items()
    )


def empty_table(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=contract_schema(table))


class TableSink:
    """Appends chunks of one table to its staged file; ``close()`` returns the row count."""

    def __init__(self, writer: DatasetWriter, table: str) -> None:
        self.table, self.rows, self._w = table, 0, writer
        self._pq: Any = None
        self._fh: IO[bytes] | None = None
        path = writer.staged_path(table)
        if writer.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            arrow_schema = pa.schema(empty_table(table).to_arrow().schema)
            self._pq = pq.ParquetWriter(path, arrow_schema, compression="zstd")
        elif writer.fmt == "csv":
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            empty_table(table).write_csv(self._fh, include_header=True)

    def write(self, df: pl.DataFrame) -> None:
        df = to_contract(self.table, df)
        if df.height == 0:
            return
        self.rows += df.height
        if self._pq is not None:
            self._pq.write_table(df.to_arrow())
        elif self._fh is not None:
            df.write_csv(
                self._fh,
                include_header=False,
                datetime_format="%Y-%m-%d %H:%M:%S",
                date_format="%Y-%m-%d",
            )
        else:
            con = self._w.duckdb_con()
            con.register("_himaudit_chunk", df.to_arrow())
            con.execute(f"INSERT INTO {self.table} SELECT * FROM _himaudit_chunk")
            con.unregister("_himaudit_chunk")

    def close(self) -> int:
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.close()
        self._pq = self._fh = None
        return self.rows


class DatasetWriter:
    """Stages a dataset in ``<out>/.himaudit-tmp-<pid>/`` and commits it in one step."""

    def __init__(self, out: Path, fmt: str) -> None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.out, self.fmt = Path(out), fmt
        prepare_out_dir(self.out)
        self.stage = self.out / f".himaudit-tmp-{os.getpid()}"
        shutil.rmtree(self.stage, ignore_errors=True)
        try:
            self.stage.mkdir()
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write there ({exc.strerror})") from exc
        self._con: Any = None

    def file_name(self, table: str) -> str:
        return DUCKDB_FILE if self.fmt == "duckdb" else f"{table}.{self.fmt}"

    def staged_path(self, table: str) -> Path:
        return self.stage / self.file_name(table)

    def duckdb_con(self) -> Any:
        if self._con is None:
            import duckdb

            from himaudit.paths import schema_sql

            self._con = duckdb.connect(str(self.stage / DUCKDB_FILE))
            self._con.execute(schema_sql().read_text(encoding="utf-8"))
        return self._con

    def open(self, table: str) -> TableSink:
        return TableSink(self, table)

    def write_table(self, table: str, df: pl.DataFrame) -> int:
        sink = self.open(table)
        sink.write(df)
        return sink.close()

    def staged_files(self) -> list[Path]:
        return sorted(
            p for p in self.stage.iterdir() if p.is_file() and not p.name.endswith(".wal")
        )

    def commit(self, manifest_text: str) -> list[Path]:
        """Write the manifest, then rename every staged file into ``out``."""
        if self._con is not None:
            self._con.execute("CHECKPOINT")
            self._con.close()
            self._con = None
        (self.stage / "manifest.json").write_text(manifest_text, encoding="utf-8")
        # Drop files of the other formats from a previous run so the directory holds one
        # coherent dataset (a loader must not see patients.csv next to patients.parquet).
        names = [*load_contract(), "answer_key"]
        for other in FORMATS:
            if other != self.fmt:
                for t in names:
                    (self.out / (DUCKDB_FILE if other == "duckdb" else f"{t}.{other}")).unlink(
                        missing_ok=True
                    )
        moved = []
        staged = [p for p in self.staged_files() if p.name != "manifest.json"]
        for p in [*staged, self.stage / "manifest.json"]:  # manifest last: it marks completion
            os.replace(p, self.out / p.name)
            moved.append(self.out / p.name)
        shutil.rmtree(self.stage, ignore_errors=True)
        return moved

    def abort(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None
        shutil.rmtree(self.stage, ignore_errors=True)


def prepare_out_dir(out: Path) -> None:
    """Create ``out`` or fail with one clear line (exists as a file, not writable)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create directory ({exc.strerror})") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: directory is not writable")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()
