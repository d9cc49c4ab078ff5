"""Python rules, one family per sub-package: ``himaudit.rules.<family>.<module>``.

A module is a rule when it defines ``META`` (the same keys as a SQL rule header) and
``run(con, params)``; it may add ``summary(con, params)`` for run-summary figures. The
scan registry (:mod:`himaudit.scan.registry`) discovers them with :func:`iter_rule_modules`.
Rule modules must import heavy libraries (splink, scipy, polars) inside ``run`` so that
listing the catalogue stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType


def iter_rule_modules() -> Iterator[ModuleType]:
    """Yield every ``himaudit.rules.<family>.<module>`` that defines META and run()."""
    for family in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not family.ispkg or family.name.startswith("_"):
            continue
        pkg = importlib.import_module(f"{__name__}.{family.name}")
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            if hasattr(module, "META") and callable(getattr(module, "run", None)):
                yield module
