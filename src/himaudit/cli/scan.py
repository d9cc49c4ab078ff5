"""``himaudit scan``: run the audit rules over a dataset directory or warehouse."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

_STATUS_STYLE = {"failed": "red", "error": "magenta", "passed": "green", "not_applicable": "dim"}


def scan(
    input: Path = typer.Argument(
        ..., help="Directory of <table>.parquet/.csv files, or a .duckdb warehouse."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output directory (findings, summary, warehouse)."
    ),
    rules: list[str] = typer.Option(
        None, "--rules", "-r", help="Rule ids or families (repeat or comma-separate)."
    ),
    fail_on: str = typer.Option(
        None,
        "--fail-on",
        help="Exit 1 if a failed rule is at/above: info|low|medium|high|critical (default high).",
    ),
    fmt: str = typer.Option(
        None, "--format", "-f", help="Comma-separated: json,csv,parquet,junit (default json,junit)."
    ),
    config: Path = typer.Option(
        None, "--config", "-c", help="himaudit.toml with thresholds, formats, disabled rules."
    ),
    as_of: str = typer.Option(
        None,
        "--as-of",
        help="'Today' for time-based rules (default: the manifest's as-of, else now).",
    ),
    rules_dir: list[Path] = typer.Option(
        None, "--rules-dir", help="Extra rule directory (<family>/<ID>.sql); repeatable."
    ),
    compare: bool = typer.Option(
        False, "--compare", help="Show new / resolved findings against the previous run."
    ),
    report: bool = typer.Option(False, "--report", help="Also render OUTDIR/report.html."),
    encoding: str = typer.Option(
        None, "--encoding", help="Encoding of CSV inputs (default utf-8)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the one-line result."),
) -> None:
    """Scan INPUT and write findings to OUTDIR.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or input
    error; 3 a rule errored (the scan still finished and reported it).
    """
    from himaudit.cli import fail
    from himaudit.errors import HimauditError
    from himaudit.scan.engine import scan as run_scan

    selectors = [s for item in rules or [] for s in item.split(",") if s.strip()]
    try:
        as_of_value = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.echo(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD[ HH:MM:SS])", err=True)
        raise typer.Exit(2) from None
    try:
        result = run_scan(
            input, out, rules=selectors or None, fail_on=fail_on, formats=fmt, config=config,
            as_of=as_of_value, rules_dirs=rules_dir or (), compare=compare, report=report,
            encoding=encoding,
        )  # fmt: skip
    except HimauditError as err:
        fail(err)
        return
    _quiet_gx_teardown()
    if not quiet:
        _render(result)
    s = result.summary
    st = s["counts"]["by_status"]
    typer.echo(
        f"{s['counts']['findings']} finding(s); {st['failed']} failed, {st['passed']} passed, "
        f"{st['not_applicable']} not applicable, {st['error']} error(s); as-of {s['as_of']}; "
        f"exit {int(result.exit_code)} -> {result.out}"
    )
    raise typer.Exit(int(result.exit_code))


def _quiet_gx_teardown() -> None:
    """GX's SQL datasource leaves duckdb objects alive at interpreter exit and duckdb's
    nanobind bindings then print ~40 "leaked instance" lines on stderr after our output is
    complete. Silence stderr only at exit, only in the real CLI (not under pytest)."""
    import atexit
    import os
    import sys

    if "great_expectations" in sys.modules and "pytest" not in sys.modules:

        def _silence() -> None:
            sys.stderr.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)

        atexit.register(_silence)


def _render(result) -> None:  # noqa: ANN001 - ScanResult, imported lazily
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"himaudit scan {result.run_id}", title_justify="left")
    for col in ("rule", "severity", "status", "findings", "%", "title"):
        table.add_column(col, justify="right" if col in ("findings", "%") else "left")
    for r in result.rules:
        style = _STATUS_STYLE.get(r["status"], "")
        pct = "" if r["percent"] is None else f"{r['percent']:.2f}"
        title = r["title"] if r["status"] != "error" else f"{r['title']} — {r['error']}"
        table.add_row(
            r["rule_id"],
            r["severity"],
            f"[{style}]{r['status']}[/]",
            str(r["findings"]),
            pct,
            title,
        )
    console.print(table)
    if result.comparison is not None:
        c = result.comparison
        if c.previous_run_id is None:
            console.print("compare: no previous run in this warehouse")
        else:
            console.print(
                f"compare with {c.previous_run_id}: {len(c.new)} new, {len(c.resolved)} resolved"
            )
            for rule_id, (n, gone) in c.per_rule.items():
                console.print(f"  {rule_id}: +{n} / -{gone}")
    for name, fig in result.summary.get("figures", {}).items():
        console.print(f"figure {name}: {fig}")


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
