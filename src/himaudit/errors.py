"""Errors the CLI turns into one clear line and an exit code (never a traceback)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage or input error (bad option, unreadable or non-conforming input)
    RULE_ERROR = 3  # a rule itself broke; the scan still finished and reported it


class HimauditError(Exception):
    """A failure the user can act on. ``str(err)`` is the one line the CLI prints."""

    exit_code: ExitCode = ExitCode.USAGE


class InputError(HimauditError):
    """Input data is missing, unreadable or does not meet the contract (exit 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        where = ", ".join(
            p
            for p in (
                file,
                f"column {column}" if column else None,
                f"line {line}" if line is not None else None,
            )
            if p
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.column, self.line = file, column, line


class UsageError(HimauditError):
    """A bad option or argument (exit 2)."""
