"""The ``himaudit`` command line: a thin typer app over :mod:`himaudit.api`.

Each command lives in its own module ``himaudit/cli/<command>.py`` exposing
``register(app)``; modules are discovered here so adding a command touches one file.
Command modules must not import heavy libraries at module level (``--help`` stays instant).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from himaudit import __version__
from himaudit.errors import ExitCode, HimauditError

app = typer.Typer(
    name="himaudit",
    help="Audit health-information-management data: find the defects HIM staff hunt by hand.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"himaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Audit health-information-management data: find the defects HIM staff hunt by hand."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def fail(err: HimauditError) -> None:
    """Print a library error as one line on stderr and exit with its code."""
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(int(err.exit_code))


def main() -> None:
    """Console-script entry point: library errors become one line, never a traceback."""
    try:
        app()
    except HimauditError as err:  # commands usually catch these themselves; this is the net
        typer.echo(f"error: {err}", err=True)
        sys.exit(int(err.exit_code))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(int(ExitCode.USAGE))
