"""``himaudit schema``: print the canonical-table contract."""

from __future__ import annotations

import json

import typer


def schema(
    table: str = typer.Argument(None, help="Show only this table."),
    as_json: bool = typer.Option(False, "--json", help="Print the contract as JSON."),
    sql: bool = typer.Option(False, "--sql", help="Print warehouse/schema.sql verbatim."),
) -> None:
    """Print the data contract: canonical tables, their key, columns, types, required/optional."""
    from rich.console import Console
    from rich.table import Table as RichTable

    from himaudit.contract import load_contract
    from himaudit.paths import schema_sql

    if sql:
        typer.echo(schema_sql().read_text(encoding="utf-8"))
        return
    contract = load_contract()
    if table is not None and table not in contract:
        typer.echo(f"error: unknown table {table!r}; known: {', '.join(contract)}", err=True)
        raise typer.Exit(2)
    tables = [contract[table]] if table else list(contract.values())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    t.name: {
                        "key": list(t.key),
                        "columns": [
                            {
                                "name": c.name,
                                "type": c.type,
                                "required": c.required,
                                "note": c.comment,
                            }
                            for c in t.columns
                        ],
                    }
                    for t in tables
                },
                indent=2,
            )
        )
        return
    console = Console()
    for t in tables:
        grid = RichTable(title=f"{t.name}  (key: {', '.join(t.key)})", title_justify="left")
        for header in ("column", "type", "required", "note"):
            grid.add_column(header)
        for c in t.columns:
            grid.add_row(c.name, c.type, "yes" if c.required else "", c.comment)
        console.print(grid)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
