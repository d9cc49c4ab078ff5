"""The command line: every command has help, --version works, --help stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from himaudit import __version__
from himaudit.cli import app

HEAVY = ("polars", "great_expectations", "splink", "pandas", "altair", "faker")


def registered_commands() -> dict:
    # typer 0.29 vendors click (typer._click); use the command objects, not a click import.
    group = typer.main.get_command(app)
    return dict(group.commands)


def test_commands_are_discovered() -> None:
    names = set(registered_commands())
    assert {"load", "schema"} <= names


@pytest.mark.parametrize("name", sorted(registered_commands()))
def test_every_command_has_help_text(name: str) -> None:
    command = registered_commands()[name]
    assert (command.help or "").strip(), f"himaudit {name} has no help text"
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            assert (param.help or "").strip(), f"himaudit {name} {param.opts[0]} has no help"
    result = CliRunner().invoke(app, [name, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.strip() == f"himaudit {__version__}"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, json\n"
        "from himaudit.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_schema_command_lists_tables() -> None:
    result = CliRunner().invoke(app, ["schema", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "access_log" in json.loads(result.output)


def test_load_usage_errors_are_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["load", "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: give either a DIRECTORY or --sample (not both)"


def test_load_sample(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["load", "--sample", "-w", str(tmp_path / "w.duckdb")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "access_log" in result.output and "No load issues." in result.output
