"""``himaudit demo``: generate the ``demo`` hospital, scan it, write the report — the one
command a newcomer runs to see what himaudit does.

Layout of ``OUT`` (default ``./himaudit-demo``)::

    OUT/.himaudit-demo   marker: this directory belongs to the demo and may be rebuilt
    OUT/data/            the generated dataset (Parquet + answer_key + manifest.json)
    OUT/scan/            the scan OUTDIR (warehouse.duckdb, findings.*, summary.json,
                         report.html, work_queues/)
"""

from __future__ import annotations

import inspect
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from himaudit.errors import UsageError

DEFAULT_OUT = Path("himaudit-demo")
MARKER = ".himaudit-demo"


@dataclass
class DemoResult:
    out: Path
    data_dir: Path
    scan_dir: Path
    report: Path
    seconds: dict[str, float] = field(default_factory=dict)
    scan_result: Any = None


def _prepare(out: Path) -> None:
    """Make ``out`` ready for a fresh demo without ever deleting a directory that is not
    ours: a non-empty directory without the marker is refused."""
    marker = out / MARKER
    if out.exists() and any(out.iterdir()) and not marker.exists():
        raise UsageError(f"{out} exists and is not a himaudit demo directory; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text("created by `himaudit demo`; safe to delete\n", encoding="utf-8")
    for sub in ("data", "scan"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)


def _supported(func: Any, **kwargs: Any) -> dict[str, Any]:
    """Only the keyword arguments ``func`` accepts (the scan grows options over time)."""
    params = inspect.signature(func).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def run_demo(
    out: Path | str | None = None,
    *,
    seed: int = 7,
    profile: str = "demo",
    show_phi: bool = False,
    progress: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate ``profile`` with ``seed`` into OUT/data, scan it into OUT/scan and render
    OUT/scan/report.html. Returns the paths and the time each step took. ``on_step`` is told
    what starts next (the CLI prints it, so a 20-second scan does not look like a hang)."""
    from himaudit.generate.runner import generate
    from himaudit.report.html import render_report
    from himaudit.scan.engine import scan

    out = Path(out) if out is not None else DEFAULT_OUT
    _prepare(out)
    data_dir, scan_dir = out / "data", out / "scan"
    seconds: dict[str, float] = {}

    step = on_step or (lambda _msg: None)
    step(f"generating the '{profile}' hospital (seed {seed}) into {data_dir}")
    t0 = time.perf_counter()
    generate(data_dir, profile=profile, seed=seed, progress=progress)
    seconds["generate"] = time.perf_counter() - t0

    step(f"scanning {data_dir} into {scan_dir}")
    t0 = time.perf_counter()
    result = scan(data_dir, scan_dir, **_supported(scan, progress=progress, show_phi=show_phi))
    seconds["scan"] = time.perf_counter() - t0

    step("writing the report and work queues")
    t0 = time.perf_counter()
    report = render_report(scan_dir, show_phi=show_phi)
    seconds["report"] = time.perf_counter() - t0
    return DemoResult(out, data_dir, scan_dir, report, seconds, result)
