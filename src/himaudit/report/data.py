"""Read what the report shows out of a scan's OUTDIR (warehouse.duckdb + summary.json).

The scan owns both files; this module only reads them, tolerating older/smaller warehouses:
``summary.json`` may be missing (then the run comes from ``audit.runs`` / ``audit.findings``),
``audit.rule_results`` may be missing (then rule statuses come from the summary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.errors import InputError

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
_SEV_RANK = (
    "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 3 ELSE 4 END"
)


@dataclass
class RunInfo:
    run_id: str | None
    input: str
    as_of: str
    started_at: str
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def figures(self) -> dict[str, Any]:
        """Run-summary figures, flattened: the scan keys them by rule id
        (``{"MPI-002": {"duplicate_error_rate": 0.03}}`` → ``"MPI-002 duplicate_error_rate"``)."""
        figs = self.summary.get("figures") or {}
        flat: dict[str, Any] = {}
        if not isinstance(figs, dict):
            return flat
        for key, value in figs.items():
            if isinstance(value, dict):
                for sub, inner in value.items():
                    if not isinstance(inner, dict | list):
                        flat[f"{key} {sub}"] = inner
            elif not isinstance(value, list):
                flat[str(key)] = value
        return flat


def open_outdir(outdir: Path, *, read_only: bool = True) -> Any:
    """Open ``OUTDIR/warehouse.duckdb``; a clear one-line error when it is not a scan OUTDIR."""
    import duckdb

    db = Path(outdir) / "warehouse.duckdb"
    if not db.is_file():
        raise InputError("not a scan output directory (no warehouse.duckdb)", file=str(outdir))
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise InputError(f"cannot open warehouse: {first}", file=str(db)) from err
    con.execute("SET enable_progress_bar = false")  # the report prints its own output
    return con


def read_summary(outdir: Path) -> dict[str, Any]:
    path = Path(outdir) / "summary.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise InputError(f"summary.json is not valid JSON: {err}", file=str(path)) from err
    return data if isinstance(data, dict) else {}


def has_relation(con: Any, schema: str, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "UNION ALL SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name, schema, name],
    ).fetchall()
    return sum(r[0] for r in rows) > 0


def columns_of(con: Any, schema: str, name: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]


def fetch_dicts(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def run_info(con: Any, outdir: Path) -> RunInfo:
    """The run the report describes: summary.json's run, else the latest in the warehouse."""
    summary = read_summary(outdir)
    run_id = summary.get("run_id")
    run_row: dict[str, Any] = {}
    if has_relation(con, "audit", "runs"):
        cols = columns_of(con, "audit", "runs")
        order = next((c for c in ("started_at", "finished_at", "created_at") if c in cols), None)
        where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
        order_sql = f"ORDER BY {order} DESC NULLS LAST" if order else ""
        rows = fetch_dicts(con, f"SELECT * FROM audit.runs {where} {order_sql} LIMIT 1", params)
        run_row = rows[0] if rows else {}
        run_id = run_id or run_row.get("run_id")
    if run_id is None and has_relation(con, "audit", "findings"):
        rows = con.execute("SELECT max(run_id) FROM audit.findings").fetchall()
        run_id = rows[0][0] if rows else None

    def pick(*keys: str) -> str:
        for source in (summary, run_row):
            for key in keys:
                value = source.get(key)
                if value not in (None, ""):
                    return _describe(value)
        return "—"

    return RunInfo(
        run_id=run_id,
        input=pick("input", "input_path", "inputs"),
        as_of=pick("as_of"),
        started_at=pick("started_at", "finished_at", "created_at"),
        summary=summary,
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("path", "dir", "directory"):
            if key in value:
                return str(value[key])
        return ", ".join(f"{k}: {v}" for k, v in value.items() if not isinstance(v, dict | list))
    if isinstance(value, list):
        return ", ".join(_describe(v) for v in value[:5]) + (" …" if len(value) > 5 else "")
    return str(value)


def findings_filter(run_id: str | None) -> tuple[str, list[Any]]:
    return ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])


def counts_by(con: Any, run_id: str | None, *cols: str) -> list[dict[str, Any]]:
    where, params = findings_filter(run_id)
    group = ", ".join(cols)
    return fetch_dicts(
        con,
        f"SELECT {group}, count(*) AS findings FROM audit.findings {where} "
        f"GROUP BY {group} ORDER BY {group}",
        params,
    )


def family_findings(con: Any, run_id: str | None, family: str, cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` findings of a family, most severe first (the report's table rows)."""
    where, params = findings_filter(run_id)
    where = (where + " AND " if where else "WHERE ") + "family = ?"
    return fetch_dicts(
        con,
        "SELECT rule_id, severity, table_name, record_key, mrn, user_id, message, evidence "
        f"FROM audit.findings {where} ORDER BY {_SEV_RANK}, rule_id, record_key LIMIT {int(cap)}",
        [*params, family],
    )


def rule_statuses(con: Any, run: RunInfo) -> list[dict[str, Any]]:
    """One row per rule: id, title, family, severity, status, findings (best source wins)."""
    rows: list[dict[str, Any]] = []
    if has_relation(con, "audit", "rule_results"):
        cols = columns_of(con, "audit", "rule_results")
        where, params = findings_filter(run.run_id) if "run_id" in cols else ("", [])
        rows = fetch_dicts(con, f"SELECT * FROM audit.rule_results {where}", params)
    if not rows:
        rules = run.summary.get("rules") or []
        if isinstance(rules, dict):
            rules = [
                {"rule_id": k, **(v if isinstance(v, dict) else {"status": v})}
                for k, v in rules.items()
            ]
        rows = [r for r in rules if isinstance(r, dict)]
    titles = {
        str(r.get("rule_id") or r.get("id")): r.get("title")
        for r in (run.summary.get("rules") or [])
        if isinstance(r, dict)
    }
    out = []
    for r in rows:
        rule_id = r.get("rule_id") or r.get("id")
        if not rule_id:
            continue
        count = r.get("findings", r.get("count", r.get("finding_count", r.get("n_findings"))))
        out.append(
            {
                "rule_id": str(rule_id),
                "title": r.get("title") or titles.get(str(rule_id)) or "",
                "family": r.get("family") or str(rule_id).split("-")[0],
                "severity": r.get("severity") or "",
                "status": r.get("status") or "",
                "findings": int(count) if isinstance(count, int | float) else 0,
                "detail": r.get("error") or r.get("detail") or r.get("message") or "",
            }
        )
    return sorted(out, key=lambda r: r["rule_id"])


def format_figure(value: Any) -> str:
    """Figures for people: rates to 4 significant digits, counts with thousands separators."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
