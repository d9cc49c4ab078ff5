"""Registries of table builders and defect injectors (filled by decorators at import)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from himaudit.generate.context import Defect, GenContext

if TYPE_CHECKING:
    import polars as pl

BuildResult = Union["pl.DataFrame", Iterator["pl.DataFrame"]]


@dataclass(frozen=True)
class Builder:
    table: str
    after: tuple[str, ...]
    fn: Callable[[GenContext], BuildResult]


@dataclass(frozen=True)
class Injector:
    rule_id: str
    tables: tuple[str, ...]
    fn: Callable[[GenContext, float], list[Defect]]


BUILDERS: dict[str, Builder] = {}
INJECTORS: dict[str, Injector] = {}


def table_builder(table: str, after: tuple[str, ...] = ()) -> Callable:
    def deco(fn: Callable[[GenContext], BuildResult]) -> Callable:
        if table in BUILDERS:
            raise ValueError(f"two builders for table {table}")
        BUILDERS[table] = Builder(table, tuple(after), fn)
        return fn

    return deco


def injector(rule_id: str, tables: tuple[str, ...] = ()) -> Callable:
    def deco(fn: Callable[[GenContext, float], list[Defect]]) -> Callable:
        if rule_id in INJECTORS:
            raise ValueError(f"two injectors for rule {rule_id}")
        INJECTORS[rule_id] = Injector(rule_id, tuple(tables), fn)
        return fn

    return deco


def discover() -> None:
    """Import every module under generate/tables and generate/defects (registers them)."""
    from himaudit.generate import defects, tables

    for pkg in (tables, defects):
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            importlib.import_module(f"{pkg.__name__}.{info.name}")


def build_order() -> list[Builder]:
    """Builders in dependency order (ties broken by table name, for determinism)."""
    done: list[str] = []
    pending = dict(sorted(BUILDERS.items()))
    while pending:
        ready = [
            t for t, b in pending.items() if all(d in done or d not in BUILDERS for d in b.after)
        ]
        if not ready:
            raise ValueError(f"cyclic builder dependencies among {sorted(pending)}")
        for t in ready:
            done.append(t)
            del pending[t]
    return [BUILDERS[t] for t in done]
