"""Pick workforce members employed over a time window, vectorised (for any builder).

Attendings, care-team members, note authors and signers must be employed for the whole
period their work touches, or clean data would trip DOC-004 / ACC-001. Rejection sampling
per department is exact and fast: each round draws one candidate per unresolved request
and keeps those whose employment covers ``[lo, hi]``; the rest are retried. Requests still
open after the rounds fall back to *anchors* (staff employed for the whole window), or
stay unresolved (``None``) when the role is optional.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext

NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class Roster:
    user_id: np.ndarray  # object
    role: np.ndarray  # object
    department: np.ndarray  # object
    hire_day: np.ndarray  # int64 days since 1970-01-01 (day of hire)
    term_day: np.ndarray  # int64 (NEVER when still employed)


def roster(ctx: GenContext) -> Roster:
    """The ``users`` table as arrays, cached in ``ctx.meta`` (built once per run)."""
    if "roster" not in ctx.meta:
        u = ctx.tables["users"]
        ctx.meta["roster"] = Roster(
            u["user_id"].to_numpy().astype(object),
            u["role"].to_numpy().astype(object),
            u["department"].to_numpy().astype(object),
            u["hired_at"].dt.epoch("d").to_numpy().astype(np.int64) + 1,  # hired during that day
            u["terminated_at"].dt.epoch("d").fill_null(NEVER).to_numpy().astype(np.int64) - 1,
        )
    return ctx.meta["roster"]


def pick_employed(
    rng: np.random.Generator,
    staff: Roster,
    role: str,
    department: np.ndarray | None,
    lo: np.ndarray,
    hi: np.ndarray,
    anchors: pl.Series | None = None,
    rounds: int = 48,
) -> pl.Series:
    """One ``role`` member per request, employed from day ``lo`` to day ``hi`` inclusive,
    in request ``department`` when given. Returns a String Series of user ids (null where
    none fits)."""
    idx = _pick(rng, staff, role, department, lo, hi, anchors, rounds)
    ids = pl.Series("user_id", staff.user_id, dtype=pl.String)
    return ids.gather(pl.Series(idx).set(pl.Series(idx < 0), None))


def _pick(
    rng: np.random.Generator,
    staff: Roster,
    role: str,
    department: np.ndarray | None,
    lo: np.ndarray,
    hi: np.ndarray,
    anchors: pl.Series | None,
    rounds: int,
) -> np.ndarray:
    n = len(lo)
    out = np.full(n, -1, dtype=np.int64)
    cand = np.flatnonzero(staff.role == role)
    if n == 0 or len(cand) == 0:
        return out
    if department is None:
        groups, req = np.array(["*"], dtype=object), np.zeros(n, dtype=np.int64)
        cand_group = np.zeros(len(cand), dtype=np.int64)
    else:
        groups, inv = np.unique(
            np.r_[staff.department[cand], department].astype(str), return_inverse=True
        )
        cand_group, req = inv[: len(cand)], inv[len(cand) :]
    order = np.argsort(cand_group, kind="stable")
    cand, cand_group = cand[order], cand_group[order]
    count = np.bincount(cand_group, minlength=len(groups))
    start = np.r_[0, np.cumsum(count)[:-1]]
    todo = np.flatnonzero(count[req] > 0)
    for _ in range(rounds):
        if len(todo) == 0:
            break
        g = req[todo]
        pick = cand[start[g] + (rng.random(len(todo)) * count[g]).astype(np.int64)]
        ok = (staff.hire_day[pick] <= lo[todo]) & (staff.term_day[pick] >= hi[todo])
        out[todo[ok]] = pick[ok]
        todo = todo[~ok]
    missing = np.flatnonzero(out < 0)
    if len(missing) and anchors is not None and len(anchors):
        is_anchor = np.isin(staff.user_id[cand], anchors.to_numpy())
        a_cand, a_group = cand[is_anchor], cand_group[is_anchor]
        for gi in np.unique(req[missing]):
            rows = missing[req[missing] == gi]
            pool = a_cand[a_group == gi] if department is not None else a_cand
            if len(pool):
                out[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return out
