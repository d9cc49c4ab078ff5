"""Work queues: the findings regrouped the way HIM staff work them, written as CSV to
``OUTDIR/work_queues/`` and shown as sheets in the report.

A family that ships a work-queue view (``warehouse/views/<name>.sql`` → ``audit.<name>``)
knows its domain best, so its views are used as they are; for a family without one, the
queue is built here from ``audit.findings``. Every cell passes through the PHI masker.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.report.data import findings_filter
from himaudit.report.phi import Masker

PREVIEW_ROWS = 200
_CHUNK = 10_000


@dataclass(frozen=True)
class QueueSpec:
    name: str  # fallback CSV name
    title: str
    view_prefix: str
    family: str
    sql: str  # fallback over audit.findings; {where} is the run/family filter


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        "deficiencies_by_provider",
        "Deficiencies per responsible provider",
        "doc_",
        "DOC",
        "SELECT coalesce(user_id, '(unassigned)') AS provider, "
        "count(*) OVER (PARTITION BY user_id) AS provider_open_items, rule_id, severity, "
        "table_name, record_key, mrn, message FROM audit.findings {where} "
        "ORDER BY provider_open_items DESC, provider, rule_id, record_key",
    ),
    QueueSpec(
        "access_cases_by_user",
        "Access cases per investigated user",
        "acc_",
        "ACC",
        "SELECT coalesce(user_id, '(unknown user)') AS investigated_user, "
        "count(*) OVER (PARTITION BY user_id) AS user_cases, rule_id, severity, "
        "record_key, mrn, message, evidence FROM audit.findings {where} "
        "ORDER BY user_cases DESC, investigated_user, record_key, rule_id",
    ),
    QueueSpec(
        "roi_problems_by_request",
        "Release-of-information problems per request",
        "roi_",
        "ROI",
        "SELECT record_key AS request, table_name, min(mrn) AS mrn, count(*) AS problems, "
        "string_agg(rule_id, ';' ORDER BY rule_id) AS rules, "
        "max(CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 "
        "WHEN 'low' THEN 2 ELSE 1 END) AS severity_rank, "
        "string_agg(message, ' | ' ORDER BY rule_id) AS messages FROM audit.findings {where} "
        "GROUP BY record_key, table_name ORDER BY severity_rank DESC, problems DESC, request",
    ),
    QueueSpec(
        "mpi_merge_review",
        "Duplicate patients to merge-review",
        "mpi_",
        "MPI",
        "SELECT record_key AS mrns, split_part(record_key, '|', 1) AS mrn_a, "
        "split_part(record_key, '|', 2) AS mrn_b, rule_id, severity, message, evidence "
        "FROM audit.findings {where} AND record_key LIKE '%|%' ORDER BY rule_id, record_key",
    ),
)


@dataclass
class WorkQueue:
    name: str
    title: str
    source: str
    csv_path: Path
    columns: list[str]
    total: int
    preview: list[dict[str, Any]] = field(default_factory=list)


def _audit_views(con: Any) -> list[str]:
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'audit' ORDER BY view_name"
    ).fetchall()
    return [r[0] for r in rows]


def _write(con: Any, sql: str, params: list[Any], path: Path, masker: Masker) -> WorkQueue:
    """Stream one query to CSV (atomically), masking every cell; keep a preview."""
    cur = con.execute(sql, params)
    columns = [d[0] for d in cur.description]
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    preview: list[dict[str, Any]] = []
    total = 0
    plan = masker.plan(columns)
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        while chunk := cur.fetchmany(_CHUNK):
            for raw in chunk:
                values = [f(v) for f, v in zip(plan, raw, strict=True)]
                writer.writerow(["" if v is None else v for v in values])
                if len(preview) < PREVIEW_ROWS:
                    preview.append(dict(zip(columns, values, strict=True)))
                total += 1
    os.replace(tmp, path)
    return WorkQueue(path.stem, "", "", path, columns, total, preview)


def write_work_queues(
    con: Any, outdir: Path, run_id: str | None, masker: Masker
) -> list[WorkQueue]:
    """Write every work queue CSV under ``OUTDIR/work_queues/`` and return them in order:
    the four HIM queues (from views when present), then any other ``audit.*`` view."""
    qdir = Path(outdir) / "work_queues"
    qdir.mkdir(parents=True, exist_ok=True)
    views = _audit_views(con)
    used: set[str] = set()
    queues: list[WorkQueue] = []
    for spec in QUEUES:
        own = [v for v in views if v.startswith(spec.view_prefix)]
        for view in own:
            q = _write(con, f"SELECT * FROM audit.{view}", [], qdir / f"{view}.csv", masker)
            q.title, q.source = f"{spec.title} ({view})", f"view audit.{view}"
            queues.append(q)
            used.add(view)
        if not own:
            where, params = findings_filter(run_id)
            where = (where + " AND " if where else "WHERE ") + f"family = '{spec.family}'"
            q = _write(con, spec.sql.format(where=where), params, qdir / f"{spec.name}.csv", masker)
            q.title, q.source = spec.title, f"audit.findings (family {spec.family})"
            queues.append(q)
    for view in views:
        if view not in used:
            q = _write(con, f"SELECT * FROM audit.{view}", [], qdir / f"{view}.csv", masker)
            q.title, q.source = f"View {view}", f"view audit.{view}"
            queues.append(q)
    return queues
