"""Reference tables (schema ``ref``): ICD-10-CM code set, retention schedules, curated CSVs.

``build_reference(con)`` is called by ``init_warehouse``. Order matters only in that later
builders may read earlier tables: built-in tables first, then every
``warehouse/reference/<name>.csv`` as ``ref.<name>``, then every module of this package that
exposes ``build(con)`` (other helpers' Python-built tables), in module-name order.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import TYPE_CHECKING

from himaudit.errors import HimauditError
from himaudit.paths import warehouse_dir

if TYPE_CHECKING:
    import duckdb

# Modules of this package that are built-ins here, not discovered ``build(con)`` plug-ins.
_BUILTIN_MODULES = frozenset({"icd10cm", "retention"})
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ReferenceError(HimauditError):
    """A bundled reference table could not be built (a packaging or authoring error)."""


def build_reference(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Create schema ``ref`` and every reference table in it; returns rows per table."""
    from himaudit.reference.icd10cm import build_icd10cm
    from himaudit.reference.retention import STEM as RETENTION_STEM
    from himaudit.reference.retention import build_retention_schedule

    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    built = {"icd10cm": build_icd10cm(con), RETENTION_STEM: build_retention_schedule(con)}
    for stem, rows in _build_csv_tables(con, skip={RETENTION_STEM}).items():
        built[stem] = rows
    for name in plugin_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        module.build(con)
    return built


def _build_csv_tables(con: duckdb.DuckDBPyConnection, *, skip: set[str]) -> dict[str, int]:
    """Load every other ``warehouse/reference/*.csv`` as ``ref.<stem>`` (types sniffed)."""
    rows: dict[str, int] = {}
    for path in sorted((warehouse_dir() / "reference").glob("*.csv")):
        stem = path.stem
        if stem in skip:
            continue
        if not _NAME_RE.match(stem):
            raise ReferenceError(
                f"{path}: reference table names must be lower_snake_case (got {stem!r})"
            )
        con.execute(
            f"CREATE OR REPLACE TABLE ref.{stem} AS SELECT * FROM read_csv(?, header = true)",
            [str(path)],
        )
        rows[stem] = con.execute(f"SELECT count(*) FROM ref.{stem}").fetchall()[0][0]
    return rows


def plugin_modules() -> list[str]:
    """Names of sibling modules exposing ``build(con)``, in module-name order."""
    names = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _BUILTIN_MODULES:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "build", None)):
            names.append(info.name)
    return names
