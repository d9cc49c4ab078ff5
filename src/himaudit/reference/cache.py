"""On-disk cache for reference tables derived from the ICD-10-CM code set.

Parsing the 98k-item tabular of simple-icd-10-cm costs several seconds per process (the
import alone is ~1-3 s, Excludes1/manifestation parsing a few more) and every ``generate``
and ``scan`` needs the results. They depend only on the package version and on our parsing
code, so they are written once as Arrow IPC files under the user's cache directory and read
back in milliseconds. The cache is best-effort: an unreadable or unwritable cache falls back
to building in memory, and a stale one cannot be picked because the key covers the
simple-icd-10-cm version and the source of the module that builds the table.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def cache_dir() -> Path:
    """``$HIMAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/himaudit``, else ``~/.cache/himaudit``."""
    explicit = os.environ.get("HIMAUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "himaudit"


def _key(name: str, source_file: str) -> str:
    try:
        icd_version = version("simple-icd-10-cm")
    except PackageNotFoundError:  # pragma: no cover - a dependency, always installed
        icd_version = "unknown"
    digest = hashlib.sha256(Path(source_file).read_bytes()).hexdigest()[:16]
    return f"{name}-sicd{icd_version}-{digest}.arrow"


def disk_cached(name: str, source_file: str) -> Callable:
    """Cache a zero-argument function returning a ``pyarrow.Table`` on disk and per process.

    ``source_file`` is the builder's module file (``__file__``): editing the parser changes
    the key, so an old cache is never read by new code.
    """

    def deco(build: Callable[[], pa.Table]) -> Callable[[], pa.Table]:
        @functools.cache
        def wrapper() -> pa.Table:
            import pyarrow as pa

            path = cache_dir() / _key(name, source_file)
            try:
                with pa.memory_map(str(path)) as source:
                    return pa.ipc.open_file(source).read_all()
            except (OSError, pa.ArrowInvalid):
                pass  # absent or corrupt: rebuild below
            table = build()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
                with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                    w.write_table(table)
                os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
            except OSError:
                pass  # read-only home or full disk: the in-memory result still serves
            return table

        wrapper.build_uncached = build  # type: ignore[attr-defined]  # for tests
        return wrapper

    return deco
