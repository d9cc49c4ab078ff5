"""Locate the bundled data directories (warehouse/, expectations/, generators/).

In a wheel they are carried as ``himaudit/_bundled/<name>``; in a source checkout (editable
install, tests) they sit at the repository top level. Keep all lookups here so no module
guesses paths on its own.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_BUNDLED = _PKG / "_bundled"
_REPO = _PKG.parent.parent


def resource_dir(name: str) -> Path:
    """Return the directory for one of the bundled data trees."""
    for base in (_BUNDLED, _REPO):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"himaudit data directory '{name}' not found (looked in {_BUNDLED} and {_REPO}); "
        "is the package installed correctly?"
    )


def warehouse_dir() -> Path:
    return resource_dir("warehouse")


def expectations_dir() -> Path:
    return resource_dir("expectations")


def generators_dir() -> Path:
    return resource_dir("generators")


def schema_sql() -> Path:
    return warehouse_dir() / "schema.sql"
