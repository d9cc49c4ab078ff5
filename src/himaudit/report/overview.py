"""A terminal-sized overview of a scan (counts by family and severity, rule statuses,
figures) for ``himaudit demo`` / ``himaudit report``. Ids and counts only: no PHI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.report.data import (
    SEVERITY_ORDER,
    RunInfo,
    counts_by,
    open_outdir,
    rule_statuses,
    run_info,
)


@dataclass
class Overview:
    run: RunInfo
    matrix: dict[str, dict[str, int]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.matrix.values())


def overview(outdir: Path | str) -> Overview:
    """Read the counts of a scan OUTDIR (read-only)."""
    from himaudit.report.html import _family_sort

    con = open_outdir(Path(outdir))
    try:
        run = run_info(con, Path(outdir))
        rows = counts_by(con, run.run_id, "family", "severity")
        rules = rule_statuses(con, run)
    finally:
        con.close()
    families = _family_sort({r["family"] for r in rows} | {r["family"] for r in rules})
    matrix = {f: {s: 0 for s in SEVERITY_ORDER} for f in families}
    for r in rows:
        sev = r["severity"] if r["severity"] in SEVERITY_ORDER else "info"
        matrix[r["family"]][sev] += int(r["findings"])
    statuses: dict[str, int] = {}
    for r in rules:
        statuses[r["status"] or "unknown"] = statuses.get(r["status"] or "unknown", 0) + 1
    return Overview(run=run, matrix=matrix, statuses=statuses, figures=run.figures)
