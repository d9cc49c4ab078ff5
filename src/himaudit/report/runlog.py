"""Record that PHI was revealed (``--show-phi``) in the run record.

Two places, so both a SQL user of the warehouse and a script reading ``summary.json`` see it:
a row in ``audit.report_log`` (created here; the report owns this table) and a
``phi_shown`` flag plus a ``phi_reveals`` list in ``summary.json``. The flag is sticky: once
PHI of a run has been shown, later masked reports do not clear it.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from himaudit.errors import HimauditError

REPORT_LOG_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.report_log (
    run_id VARCHAR, rendered_at TIMESTAMP, output VARCHAR, phi_shown BOOLEAN, os_user VARCHAR
);
"""


class PhiRecordError(HimauditError):
    """PHI would be shown but the reveal could not be recorded: refuse (exit 2)."""


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


def _run_id(con: Any, summary: dict[str, Any]) -> str | None:
    if summary.get("run_id"):
        return str(summary["run_id"])
    try:
        row = con.execute("SELECT max(run_id) FROM audit.findings").fetchall()
    except Exception:  # no findings table: nothing to tie the reveal to but the file
        return None
    return row[0][0] if row else None


def record_phi_shown(con: Any, outdir: Path, output: Path) -> None:
    """Note a ``--show-phi`` render in the warehouse and in ``OUTDIR/summary.json``."""
    now = datetime.now().replace(microsecond=0)
    summary_path = Path(outdir) / "summary.json"
    summary: dict[str, Any] = {}
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise PhiRecordError(f"{summary_path}: cannot record --show-phi: {err}") from err
    run_id = _run_id(con, summary)
    try:
        con.execute(REPORT_LOG_DDL)
        con.execute(
            "INSERT INTO audit.report_log VALUES (?, ?, ?, true, ?)",
            [run_id, now, str(output), _os_user()],
        )
    except Exception as err:
        first = str(err).splitlines()[0]
        raise PhiRecordError(f"cannot record --show-phi in the warehouse: {first}") from err
    summary["phi_shown"] = True
    reveals = summary.get("phi_reveals")
    reveals = reveals if isinstance(reveals, list) else []
    reveals.append({"at": now.isoformat(), "output": str(output), "os_user": _os_user()})
    summary["phi_reveals"] = reveals
    tmp = summary_path.with_name(f"summary.json.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, summary_path)


def phi_reveals(con: Any) -> list[tuple[Any, ...]]:
    """Rows of ``audit.report_log`` where PHI was shown (empty when never)."""
    try:
        return con.execute(
            "SELECT run_id, rendered_at, output, os_user FROM audit.report_log "
            "WHERE phi_shown ORDER BY rendered_at"
        ).fetchall()
    except Exception:  # table absent: PHI was never shown for this warehouse
        return []
