"""Write a run's findings and summary to OUTDIR, atomically (temp file + os.replace).

Findings are exported by DuckDB's own COPY straight from ``audit.findings``, so a run with
millions of findings never passes through Python objects.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

FINDING_FIELDS = (
    "run_id", "rule_id", "severity", "family", "table_name",
    "record_key", "mrn", "user_id", "message", "evidence",
)  # fmt: skip
_COPY_OPTIONS = {
    "json": "FORMAT json, ARRAY true",
    "csv": "FORMAT csv, HEADER true",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
}


def tmp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def atomic_write_text(path: Path, text: str) -> Path:
    tmp = tmp_path(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: Any) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def write_findings(con: duckdb.DuckDBPyConnection, run_id: str, out: Path, fmt: str) -> Path:
    """findings.<fmt> for one run, ordered by rule and key so reruns diff cleanly."""
    target = out / f"findings.{fmt}"
    tmp = tmp_path(target)
    # JSON keeps evidence as a nested object; CSV/Parquet keep the JSON text.
    evidence = "try_cast(evidence AS JSON) AS evidence" if fmt == "json" else "evidence"
    cols = ", ".join(FINDING_FIELDS[:-1]) + f", {evidence}"
    query = (
        f"SELECT {cols} FROM audit.findings WHERE run_id = '{run_id.replace(chr(39), '')}' "
        "ORDER BY rule_id, record_key"
    )
    path_sql = str(tmp).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{path_sql}' ({_COPY_OPTIONS[fmt]})")
    if fmt == "json" and tmp.stat().st_size == 0:  # DuckDB writes nothing for zero rows
        tmp.write_text("[]\n", encoding="utf-8")
    os.replace(tmp, target)
    return target
