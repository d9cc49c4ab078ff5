"""Public Python API: the functions the CLI calls (load, generate, scan, score, report, demo).

Names resolve lazily so ``import himaudit.api`` (and ``himaudit --help``) stays instant:
the heavy modules (polars, Great Expectations, Splink) load only when a function is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "load_contract": "himaudit.contract",
    "load_directory": "himaudit.load.loader",
    "generate": "himaudit.generate.runner",
    "scan": "himaudit.scan.engine",
    "list_rules": "himaudit.scan.registry",
    "score": "himaudit.scan.score",
    "render_report": "himaudit.report.html",
    "run_demo": "himaudit.demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'himaudit.api' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
