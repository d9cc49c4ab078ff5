"""``himaudit report OUTDIR``: render the HTML report and work queues of a scan."""

from __future__ import annotations

from pathlib import Path

import typer


def print_overview(outdir: Path) -> None:
    """Counts by family and severity, rule statuses and figures, as a terminal table."""
    from rich.console import Console
    from rich.table import Table

    from himaudit.report.data import SEVERITY_ORDER
    from himaudit.report.html import headline_figures
    from himaudit.report.overview import overview

    ov = overview(outdir)
    console = Console()
    grid = Table(
        title=f"{ov.total:,} findings · input {ov.run.input} · as of {ov.run.as_of}",
        title_justify="left",
    )
    grid.add_column("family")
    for sev in SEVERITY_ORDER:
        grid.add_column(sev, justify="right")
    grid.add_column("total", justify="right")
    for fam, row in ov.matrix.items():
        grid.add_row(fam, *(f"{row[s]:,}" for s in SEVERITY_ORDER), f"{sum(row.values()):,}")
    console.print(grid)
    if ov.statuses:
        console.print("rules: " + ", ".join(f"{n} {s}" for s, n in sorted(ov.statuses.items())))
    for card in headline_figures(ov.figures):
        goal = f" ({card['goal']})" if card["goal"] else ""
        console.print(f"{card['label']}: {card['value']}{goal}  [{card['rule']}]")


def report(
    outdir: Path = typer.Argument(..., help="A scan output directory (holds warehouse.duckdb)."),
    show_phi: bool = typer.Option(
        False, "--show-phi", help="Reveal names, SSNs, addresses, phones (recorded in the run)."
    ),
    out: Path = typer.Option(None, "--out", help="Report file (default OUTDIR/report.html)."),
) -> None:
    """Write a self-contained HTML report and work-queue CSVs (PHI masked by default)."""
    from himaudit.cli import fail
    from himaudit.errors import HimauditError
    from himaudit.report.html import render_report

    try:
        path = render_report(outdir, show_phi=show_phi, out=out)
        print_overview(outdir)
    except HimauditError as err:
        fail(err)
    typer.echo(f"work queues: {outdir / 'work_queues'}")
    typer.echo(f"report: {path}")
    if show_phi:
        typer.echo("PHI SHOWN in this report; the reveal is recorded in the run record.", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
