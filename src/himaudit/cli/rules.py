"""``himaudit rules``: list the rule catalogue (SQL, Python and GX rules)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def rules(
    selectors: list[str] = typer.Argument(None, help="Rule ids or families to show (default all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the catalogue as JSON."),
    rules_dir: list[Path] = typer.Option(
        None, "--rules-dir", help="Extra rule directory; repeatable."
    ),
) -> None:
    """List the rules: id, family, severity, title, citation."""
    from himaudit.cli import fail
    from himaudit.errors import HimauditError
    from himaudit.scan.registry import list_rules, select_rules

    try:
        chosen = select_rules(list_rules(rules_dir or ()), selectors)
    except HimauditError as err:
        fail(err)
        return
    if as_json:
        typer.echo(json.dumps([r.catalogue_row() for r in chosen], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(chosen)} rules", title_justify="left")
    for col in ("id", "family", "severity", "title", "citation"):
        table.add_column(col, overflow="fold")
    for r in chosen:
        table.add_row(r.id, r.family, r.severity, r.title, r.citation)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("rules")(rules)
