"""``himaudit report OUTDIR``: one self-contained HTML file an analyst can open anywhere.

Everything is inline (CSS, a little vanilla JS for sorting/paging, charts as SVG), so the
file opens offline and can be mailed. Tables are capped (totals shown, full lists in the
CSV/Parquet outputs) so a ``large`` scan still gives a report of a few MB.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from himaudit import __version__
from himaudit.report import charts
from himaudit.report.data import (
    SEVERITY_ORDER,
    counts_by,
    family_findings,
    format_figure,
    open_outdir,
    rule_statuses,
    run_info,
)
from himaudit.report.pairs import duplicate_pairs, duplicate_rate
from himaudit.report.phi import Masker, person_names
from himaudit.report.queues import write_work_queues
from himaudit.report.runlog import record_phi_shown

FAMILY_ORDER = ("MPI", "DOC", "COD", "ACC", "ROI", "RET", "DQ")
FAMILY_TITLES = {
    "MPI": "Master patient index",
    "DOC": "Documentation integrity",
    "COD": "Coding",
    "ACC": "Access monitoring",
    "ROI": "Release of information",
    "RET": "Retention and destruction",
    "DQ": "General data quality",
}
FINDINGS_CAP = 500  # rows per family shown in the page (most severe first)
PAIRS_CAP = 100
_NOT_RUN = {"not_applicable", "not applicable", "skipped", "n/a"}


def _asset(name: str) -> str:
    return resources.files("himaudit.report").joinpath("templates", name).read_text("utf-8")


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("himaudit.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: f"{int(v or 0):,}"
    env.filters["fig"] = format_figure
    return env


def _family_sort(families: set[str]) -> list[str]:
    known = [f for f in FAMILY_ORDER if f in families]
    return known + sorted(families - set(known))


def _evidence_text(masker: Masker, raw: Any) -> str:
    masked = masker.evidence(raw)
    if isinstance(masked, str):
        try:
            parsed = json.loads(masked)
        except ValueError:
            return masked
        if isinstance(parsed, dict):
            return "; ".join(f"{k}: {_short(v)}" for k, v in parsed.items())
    return "" if masked is None else str(masked)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "…"


def headline_figures(figures: dict[str, Any]) -> list[dict[str, str]]:
    """Rates and shares published by rules (duplicate error rate, delinquency rate, share of
    explained accesses) as summary cards; the full figure list stays in a table."""
    cards = []
    for key, value in sorted(figures.items()):
        rule, _, name = key.partition(" ")
        low = name.lower()
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and low.endswith(("_rate", "_share"))
            and "goal" not in low
            and "alert" not in low
        ):
            goal = figures.get(f"{key}_goal")
            cards.append(
                {
                    "label": name.replace("_", " "),
                    "value": f"{value:.2%}",
                    "rule": rule,
                    "goal": f"goal ≤ {goal:.0%}" if isinstance(goal, int | float) else "",
                }
            )
    return cards


def build_context(con: Any, outdir: Path, show_phi: bool) -> dict[str, Any]:
    """Everything the template shows; also writes the work-queue CSVs."""
    run = run_info(con, outdir)
    masker = Masker(show_phi=show_phi, names=frozenset() if show_phi else person_names(con))
    by_sev = counts_by(con, run.run_id, "family", "severity")
    by_rule = counts_by(con, run.run_id, "family", "rule_id")
    rules = rule_statuses(con, run)
    families = _family_sort({r["family"] for r in by_sev} | {r["family"] for r in rules})
    matrix = {f: {s: 0 for s in SEVERITY_ORDER} for f in families}
    for r in by_sev:
        matrix[r["family"]][r["severity"] if r["severity"] in SEVERITY_ORDER else "info"] += r[
            "findings"
        ]
    sections = []
    for fam in families:
        total = sum(matrix[fam].values())
        rows = family_findings(con, run.run_id, fam, FINDINGS_CAP) if total else []
        for row in rows:
            row["message"] = masker.text(row["message"])
            row["evidence"] = _evidence_text(masker, row["evidence"])
        sections.append(
            {
                "family": fam,
                "title": FAMILY_TITLES.get(fam, fam),
                "total": total,
                "rows": rows,
                "rules": [r for r in rules if r["family"] == fam],
            }
        )
    mpi_ran = any(
        r["family"] == "MPI" and r["status"].lower() not in _NOT_RUN | {"error"} for r in rules
    ) or any(r["family"] == "MPI" for r in by_sev)
    rate, rate_source = duplicate_rate(con, run.run_id, run.figures, mpi_ran=mpi_ran)
    pairs, pairs_total = duplicate_pairs(con, run.run_id, masker, PAIRS_CAP)
    chart_list = [
        charts.findings_by_rule(by_rule),
        charts.delinquency_by_provider(con, run.run_id),
        charts.access_over_time(con, run.run_id),
        charts.duplicate_rate(rate, rate_source),
    ]
    queues = write_work_queues(con, outdir, run.run_id, masker)
    statuses: dict[str, int] = {}
    for r in rules:
        statuses[r["status"] or "unknown"] = statuses.get(r["status"] or "unknown", 0) + 1
    return {
        "run": run,
        "version": __version__,
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "show_phi": show_phi,
        "severities": SEVERITY_ORDER,
        "matrix": matrix,
        "severity_totals": {s: sum(m[s] for m in matrix.values()) for s in SEVERITY_ORDER},
        "total_findings": sum(sum(m.values()) for m in matrix.values()),
        "rules": rules,
        "statuses": statuses,
        "figures": run.figures,
        "headline": headline_figures(run.figures),
        "charts": chart_list,
        "sections": sections,
        "findings_cap": FINDINGS_CAP,
        "pairs": pairs,
        "pairs_total": pairs_total,
        "pairs_cap": PAIRS_CAP,
        "queues": queues,
        "queue_dir": "work_queues",
        "css": _asset("report.css"),
        "js": _asset("report.js"),
    }


def render_report(
    outdir: Path | str, show_phi: bool = False, out: Path | str | None = None
) -> Path:
    """Render ``OUTDIR/report.html`` (or ``out``) from a scan's OUTDIR and write the work
    queues to ``OUTDIR/work_queues/``. PHI is masked unless ``show_phi``; when it is shown,
    the run record notes it (``audit.report_log`` and ``summary.json``) before anything is
    written, so a reveal is never unrecorded."""
    outdir = Path(outdir)
    target = Path(out) if out is not None else outdir / "report.html"
    con = open_outdir(outdir, read_only=not show_phi)
    try:
        if show_phi:
            record_phi_shown(con, outdir, target)
        context = build_context(con, outdir, show_phi)
    finally:
        con.close()
    html = _environment().get_template("report.html.j2").render(**context)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
