"""Shared derived views: ``warehouse/derived/<name>.sql``, each one
``CREATE OR REPLACE VIEW derived.<name> AS …`` over canonical and ``ref`` tables.

Some logic belongs to several rules at once (the retention end RET-001 and RET-003 both
judge; a discharged stay's documentation deficiencies behind DOC-009 and its summary
figure). Writing it once as a view keeps "one rule = one SQL file" and stays portable to
Spark (a view is plain SQL; DuckDB macros are not). A view takes no ``$parameters`` — the
as-of date and thresholds stay in the rules that read it — so it can be created once per
connection, before any rule runs.

Views may read other derived views; they are created in dependency order, found from the
``derived.<name>`` references in their text. The engine creates every view before the rule
loop; :func:`ensure_views` (called by ``run_rule`` / ``run_summary``) creates the ones a
rule's SQL names, so the rule-case harness and tests that call ``run_rule`` on any
warehouse get them too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from himaudit.errors import HimauditError
from himaudit.paths import warehouse_dir

if TYPE_CHECKING:
    import duckdb

SCHEMA = "derived"
_STRIP_RE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_REF_RE = re.compile(r"\bderived\.([A-Za-z_]\w*)", re.I)
_CREATE_RE = re.compile(r"\A\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+derived\.(\w+)\s+AS\b", re.I)
_PARAM_RE = re.compile(r"\$[A-Za-z_]")


class DerivedViewError(HimauditError):
    """A derived view file is malformed or cannot be created (exit 2)."""


@dataclass(frozen=True)
class DerivedView:
    name: str
    path: Path
    sql: str
    depends: tuple[str, ...]


def _code(sql: str) -> str:
    """SQL without comments and string literals (a comment may mention derived.x)."""
    return _STRIP_RE.sub(" ", sql)


def referenced_views(sql: str) -> set[str]:
    """Names of the ``derived.<name>`` views a piece of SQL reads."""
    return {m.lower() for m in _REF_RE.findall(_code(sql))}


def parse_view(path: Path) -> DerivedView:
    """Read one view file; its name must match the view it creates, and it takes no params."""
    sql = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
    code = _code(sql)
    m = _CREATE_RE.match(code)
    if not m or m.group(1).lower() != path.stem.lower():
        raise DerivedViewError(
            f"{path}: expected 'CREATE OR REPLACE VIEW derived.{path.stem} AS SELECT ...'"
        )
    if _PARAM_RE.search(code):
        raise DerivedViewError(f"{path}: a derived view takes no $parameters (keep them in rules)")
    depends = tuple(sorted(referenced_views(sql[m.end() :]) - {path.stem.lower()}))
    return DerivedView(path.stem.lower(), path, sql, depends)


@functools.cache
def _load(root: Path) -> dict[str, DerivedView]:
    if not root.is_dir():
        return {}
    views = {p.stem.lower(): parse_view(p) for p in sorted(root.glob("*.sql"))}
    for view in views.values():
        unknown = [d for d in view.depends if d not in views]
        if unknown:
            raise DerivedViewError(f"{view.path}: reads unknown derived.{unknown[0]}")
    return views


def derived_views(root: Path | None = None) -> dict[str, DerivedView]:
    """Every bundled derived view by name (cached per process: files are read once)."""
    return _load(root or warehouse_dir() / "derived")


def creation_order(
    views: dict[str, DerivedView], wanted: set[str] | None = None
) -> list[DerivedView]:
    """The wanted views (default: all) and what they read, dependencies first."""
    order: list[DerivedView] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done"

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise DerivedViewError(f"derived views form a cycle: {' -> '.join((*chain, name))}")
        if name not in views:
            raise DerivedViewError(f"derived.{name} is not defined in warehouse/derived/")
        state[name] = "visiting"
        for dep in views[name].depends:
            visit(dep, (*chain, name))
        state[name] = "done"
        order.append(views[name])

    for name in sorted(views if wanted is None else wanted):
        visit(name, ())
    return order


def create_views(con: duckdb.DuckDBPyConnection, wanted: set[str] | None = None) -> list[str]:
    """(Re)create the wanted derived views (default: all) in dependency order; their names."""
    order = creation_order(derived_views(), wanted)
    if order:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for view in order:
        try:
            con.execute(view.sql)
        except Exception as err:  # a broken view is a packaging bug: one clear line
            first = (str(err).splitlines() or [type(err).__name__])[0]
            raise DerivedViewError(f"{view.path.name}: {first}") from None
    return [v.name for v in order]


def ensure_views(con: duckdb.DuckDBPyConnection, *sql: str | None) -> None:
    """Create the derived views the given SQL reads (CREATE OR REPLACE: never stale)."""
    wanted: set[str] = set()
    for text in sql:
        if text:
            wanted |= referenced_views(text)
    if wanted:
        create_views(con, wanted)
