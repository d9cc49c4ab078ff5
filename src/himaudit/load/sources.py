"""Find and inspect input files before anything touches the warehouse.

Everything that can make a load fatal *without reading every row* is checked here: the file
is what its extension says, the text decodes, there is a header, the required columns are
present. Doing this first keeps the warehouse untouched on the common mistakes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from himaudit.contract import Table, canonical_tables, load_contract
from himaudit.errors import InputError, UsageError

_CHUNK = 1 << 20
_DELIMITERS = ",;\t|"
_UTF8 = "utf-8"


@dataclass
class SourceColumn:
    """One column of an input file: its name as loaded and its DuckDB type at the source."""

    name: str  # contract name for contract columns (case-normalised), else as written
    source_type: str  # 'VARCHAR' for every CSV column
    ref: str  # how the reader exposes it: positional c<i> for CSV, the original name for Parquet


@dataclass
class Source:
    table: Table
    path: Path  # the user's file (hashed, named in messages)
    kind: str  # 'csv' | 'parquet'
    columns: list[SourceColumn] = field(default_factory=list)
    read_path: Path | None = None  # what DuckDB reads: a UTF-8 transcode for other encodings
    delimiter: str = ","

    @property
    def name(self) -> str:
        return self.path.name

    def by_name(self) -> dict[str, SourceColumn]:
        return {c.name: c for c in self.columns}


def discover(src: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """``(table, file)`` pairs for canonical-table files in ``src``, plus ignored files."""
    if not src.is_dir():
        raise InputError("not a directory", file=str(src))
    known = set(canonical_tables())
    found: dict[str, Path] = {}
    ignored: list[Path] = []
    for path in sorted(p for p in src.iterdir() if p.is_file()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if stem in known and suffix in (".csv", ".parquet"):
            if stem in found:
                raise InputError(
                    f"both {found[stem].name} and {path.name} supply table {stem}; keep one",
                    file=str(src),
                )
            found[stem] = path
        else:
            ignored.append(path)  # manifest.json, answer_key.parquet (never loaded), notes
    if not found:
        raise InputError(
            "no canonical table files found (expected <table>.csv or <table>.parquet, "
            f"e.g. patients.csv; tables: {', '.join(sorted(known))})",
            file=str(src),
        )
    order = list(load_contract())
    return sorted(found.items(), key=lambda kv: order.index(kv[0])), ignored


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check_kind(path: Path, kind: str, encoding: str) -> None:
    """Refuse a file whose bytes contradict its extension (one line, no traceback)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8192)
        f.seek(max(0, size - 4))
        tail = f.read(4)
    if kind == "parquet":
        if size < 12 or head[:4] != b"PAR1" or tail != b"PAR1":
            looks = "text (is it CSV?)" if _looks_textual(head) else "not Parquet data"
            raise InputError(
                f"not a Parquet file: no PAR1 magic bytes; content is {looks}", file=path.name
            )
        return
    if size == 0:
        raise InputError("empty file: no header row", file=path.name)
    if head[:4] == b"PAR1":
        raise InputError(
            "not a CSV file: it is Parquet data (rename it to .parquet)", file=path.name
        )
    if head[:4] == b"PK\x03\x04":
        raise InputError(
            "not a CSV file: it is a ZIP/Excel archive; export it as CSV", file=path.name
        )
    if b"\x00" in head and not codecs.lookup(encoding).name.startswith("utf-16"):
        raise InputError("not a CSV file: binary content (NUL bytes)", file=path.name)


def _looks_textual(head: bytes) -> bool:
    return bool(head) and b"\x00" not in head and all(b >= 9 for b in head[:256])


def prepare_text(path: Path, encoding: str, workdir: Path) -> Path:
    """Check every byte decodes in ``encoding``; return a UTF-8 file for DuckDB to read.

    UTF-8 input is read in place. Other encodings are transcoded (streamed) into ``workdir``
    so DuckDB needs no encoding extension; line numbers are unchanged by transcoding.
    """
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252)") from None
    in_place = codec.name in ("utf-8", "utf-8-sig")
    decoder = codec.incrementaldecoder("strict")
    target = path if in_place else workdir / f"{path.stem}.utf8{path.suffix}"
    out = None if in_place else target.open("w", encoding=_UTF8, newline="")
    lines_before = 0
    try:
        with path.open("rb") as f:
            while True:
                chunk = f.read(_CHUNK)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as err:
                    line = lines_before + chunk.count(b"\n", 0, max(err.start, 0)) + 1
                    hint = "latin-1" if codec.name != "iso8859-1" else "cp1252"
                    raise InputError(
                        f"bytes do not decode as {encoding}; "
                        f"pass --encoding (e.g. --encoding {hint})",
                        file=path.name,
                        line=line,
                    ) from None
                if out is not None:
                    out.write(text)
                if not chunk:
                    break
                lines_before += chunk.count(b"\n")
    finally:
        if out is not None:
            out.close()
    return target


def csv_header(path: Path, table: Table) -> tuple[list[SourceColumn], str]:
    """Parse the header line of a (UTF-8) CSV; refuse header-less files."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    if not first.strip():
        raise InputError("no header row (the first line is empty)", file=path.name, line=1)
    counts = {d: first.count(d) for d in _DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader([first], delimiter=delimiter))
    contract = {c.lower(): c for c in table.column_names}
    cols = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"unnamed_{i + 1}"
        cols.append(SourceColumn(contract.get(name.lower(), name), "VARCHAR", f"c{i}"))
    if not any(c.name in table.column_names for c in cols):
        raise InputError(
            f"no header row: the first line holds no column name of table {table.name} "
            f"(expected a header such as {','.join(table.required[:4])},...)",
            file=path.name,
            line=1,
        )
    return cols, delimiter


def check_columns(source: Source) -> None:
    """Required columns present, no duplicates (DuckDB names are case-insensitive)."""
    seen: set[str] = set()
    for c in source.columns:
        if c.name.lower() in seen:
            raise InputError("duplicate column in header", file=source.name, column=c.name)
        seen.add(c.name.lower())
    present = {c.name for c in source.columns}
    missing = [c for c in source.table.required if c not in present]
    if missing:
        raise InputError(
            f"missing required column{'s' if len(missing) > 1 else ''} of table "
            f"{source.table.name}",
            file=source.name,
            column=", ".join(missing),
        )
