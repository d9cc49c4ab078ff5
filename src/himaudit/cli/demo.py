"""``himaudit demo``: generate a flawed demo hospital, scan it, write the report."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(
        None, "--out", help="Directory for the demo (default ./himaudit-demo; rebuilt each run)."
    ),
    seed: int = typer.Option(7, "--seed", help="Generator seed (same seed, same hospital)."),
    show_phi: bool = typer.Option(
        False, "--show-phi", help="Reveal names, SSNs, addresses, phones (recorded in the run)."
    ),
) -> None:
    """Generate the `demo` profile, scan it, write the HTML report; print summary and path."""
    from himaudit.cli import fail
    from himaudit.cli.report import print_overview
    from himaudit.demo import run_demo
    from himaudit.errors import HimauditError

    try:
        result = run_demo(
            out,
            seed=seed,
            show_phi=show_phi,
            progress=True,
            on_step=lambda msg: typer.echo(f"demo: {msg}", err=True),
        )
        print_overview(result.scan_dir)
    except HimauditError as err:
        fail(err)
    # Same exit-time duckdb/GX "leaked instance" noise as `himaudit scan`; reuse its silencer.
    from himaudit.cli import scan as scan_cli

    quiet = getattr(scan_cli, "_quiet_gx_teardown", None)
    if quiet is not None:
        quiet()
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    typer.echo(f"dataset: {result.data_dir}")
    typer.echo(f"scan output: {result.scan_dir}  ({timing})")
    typer.echo(f"work queues: {result.scan_dir / 'work_queues'}")
    typer.echo(f"report: {result.report.resolve()}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
