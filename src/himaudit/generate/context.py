"""Generation context shared by table builders and defect injectors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from himaudit.generate.profile import Profile

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Defect:
    """One injected defect = one answer_key row."""

    rule_id: str
    table_name: str
    record_key: str
    mrn: str | None = None
    detail: str = ""


@dataclass
class GenContext:
    profile: Profile
    seed: int
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    pools: Any = None  # himaudit.generate.pools.NamePools, built once per run
    extra: dict[str, list[pl.DataFrame]] = field(default_factory=dict)  # appended rows
    # Facts one builder hands to a later one that are not in the contract tables (e.g. each
    # patient's active span); never written out, so no defect can hide in it.
    meta: dict[str, Any] = field(default_factory=dict)
    _claimed: dict[str, set[str]] = field(default_factory=dict)

    def rng(self, name: str) -> np.random.Generator:
        """An independent random stream per component name (stable across code changes
        elsewhere: adding an injector never shifts another's draws)."""
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def claim(self, table: str, keys: Iterable[str]) -> list[str]:
        """Reserve records for one injector; returns only keys not already claimed,
        so two injectors never plant defects on the same record."""
        taken = self._claimed.setdefault(table, set())
        fresh = [k for k in keys if k not in taken]
        taken.update(fresh)
        return fresh

    def claimed(self, table: str) -> set[str]:
        return set(self._claimed.get(table, set()))

    def append(self, table: str, df: pl.DataFrame) -> None:
        """Extra rows for a table (used for streamed tables such as access_log)."""
        self.extra.setdefault(table, []).append(df)
