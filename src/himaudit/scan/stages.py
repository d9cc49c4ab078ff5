"""Scan stages around the rule loop: DQD-style tolerances, the GX stage, the views."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from himaudit.paths import warehouse_dir
from himaudit.scan.rule import Rule

if TYPE_CHECKING:
    import duckdb


def apply_tolerance(
    findings: int, rows_checked: int | None, tolerance: dict[str, float] | None
) -> dict[str, Any]:
    """Status from the finding count: failed only past ``max_count`` (default 0) and, when
    set, past ``max_percent`` of the rule's rows (the OHDSI DQD "% violating rows" idea)."""
    tol = tolerance or {}
    max_count = tol.get("max_count", 0.0)
    max_percent = tol.get("max_percent")
    percent = round(100.0 * findings / rows_checked, 4) if rows_checked else None
    failed = findings > max_count
    if max_percent is not None and percent is not None:
        failed = failed and percent > max_percent
    return {
        "status": "failed" if failed else "passed",
        "percent": percent,
        "tolerance": ", ".join(f"{k}={v:g}" for k, v in sorted(tol.items())) or None,
    }


def prewarm_gx(rules: list[Rule]) -> threading.Thread | None:
    """Import GX (~2-3 s of pure Python) in a daemon thread while the loader's DuckDB inserts
    run with the GIL released; the GX stage then finds it in ``sys.modules``. A failed import
    here is simply redone (and reported) by the stage itself."""
    if not any(r.kind == "gx" for r in rules):
        return None

    def _import() -> None:
        try:
            from himaudit.scan.gx_duckdb import import_gx

            import_gx()
        except Exception:  # noqa: BLE001, S110 - the GX stage imports again and reports
            pass

    thread = threading.Thread(target=_import, name="himaudit-gx-import", daemon=True)
    thread.start()
    return thread


def run_gx_stage(wh: Path, rules: list[Rule], supplied: dict[str, int]) -> dict[str, Any]:
    """Validate the applicable GX rules in one pass per table; rule id -> findings table or
    the exception that broke it. GX is imported only when there is something to run."""
    runnable = [r for r in rules if not r.missing_tables(supplied)]
    if not runnable:
        return {}
    from himaudit.scan.gx_stage import run_gx_rules

    return run_gx_rules(wh, runnable)


def run_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every ``warehouse/views/*.sql`` view; a broken view is reported, not fatal."""
    errors = []
    views = warehouse_dir() / "views"
    for path in sorted(views.glob("*.sql")) if views.is_dir() else []:
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except Exception as err:  # noqa: BLE001 - one view must not sink the run
            errors.append(f"{path.name}: {str(err).splitlines()[0]}")
    return errors
