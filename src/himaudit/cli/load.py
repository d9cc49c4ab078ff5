"""``himaudit load``: load a dataset directory into a DuckDB warehouse file."""

from __future__ import annotations

from pathlib import Path

import typer

_SHOWN_ISSUES = 10


def load(
    directory: Path = typer.Argument(
        None,
        help="Directory holding <table>.csv / <table>.parquet files (any subset of the "
        "canonical tables).",
        show_default=False,
    ),
    warehouse: Path = typer.Option(
        ..., "--warehouse", "-w", help="DuckDB warehouse file to create or reload."
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of the CSV files."),
    max_bad_share: float = typer.Option(
        0.05,
        "--max-bad-share",
        help="Fail when more than this share of a file's rows is malformed or unparsable.",
    ),
    sample: bool = typer.Option(
        False, "--sample", help="Load the tiny clean sample dataset bundled with himaudit."
    ),
) -> None:
    """Load CSV/Parquet files into a DuckDB warehouse; unparsable values are recorded, not fatal.

    Exit 0 when loaded (load issues are kept in audit.load_issues for the scan to report),
    2 when the input cannot be loaded (the warehouse is left as it was).
    """
    from himaudit.api import load_directory
    from himaudit.cli import fail
    from himaudit.errors import HimauditError, UsageError

    try:
        if sample == (directory is not None):
            raise UsageError("give either a DIRECTORY or --sample (not both)")
        if sample:
            from himaudit.paths import warehouse_dir

            directory = warehouse_dir() / "sample"
        result = load_directory(
            directory, warehouse, encoding=encoding, max_bad_share=max_bad_share
        )
    except HimauditError as err:
        fail(err)
        return
    _render(result)


def _render(result) -> None:  # LoadResult; typed loosely to keep the import lazy
    from rich.console import Console
    from rich.table import Table

    console = Console()
    grid = Table(title=f"Loaded into {result.warehouse}", title_justify="left")
    for header in ("table", "file", "rows", "malformed rows"):
        grid.add_column(header, justify="right" if header != "table" else "left")
    for t in result.tables:
        grid.add_row(t.table, t.file.name, f"{t.rows:,}", f"{t.rejected_rows:,}")
    console.print(grid)
    if result.issue_count:
        console.print(
            f"[yellow]{result.issue_count:,} load issue(s)[/yellow] recorded in "
            "audit.load_issues (values loaded as NULL; malformed rows skipped):"
        )
        # Raw values are not shown: they may be PHI. The warehouse keeps them for the analyst.
        for issue in result.issues[:_SHOWN_ISSUES]:
            where = f"line {issue.line}" if issue.line else f"row {issue.row_number}"
            column = f", column {issue.column_name}" if issue.column_name else ""
            console.print(
                f"  {issue.file} {where}{column}: {issue.issue} ({issue.detail})",
                markup=False,
                highlight=False,
            )
        if result.issue_count > _SHOWN_ISSUES:
            console.print(f"  … and {result.issue_count - _SHOWN_ISSUES:,} more")
    else:
        console.print("No load issues.")
    if result.ignored_files:
        names = ", ".join(p.name for p in result.ignored_files)
        console.print(f"[dim]Ignored (not canonical tables): {names}[/dim]")


def register(app: typer.Typer) -> None:
    app.command("load")(load)
