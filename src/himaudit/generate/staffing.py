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
    user_id: pl.Series  # String, roster order
    role: np.ndarray  # object (small: one per workforce member)
    departments: list[str]  # department names; ``dept_code`` indexes this list
    dept_code: np.ndarray  # int64
    hire_day: np.ndarray  # int64 days since 1970-01-01 (first full day employed)
    term_day: np.ndarray  # int64 last full day employed (NEVER when still employed)
    anchor: np.ndarray  # bool: employed for the whole window (fallback picks)

    def codes(self, names: np.ndarray | pl.Series) -> np.ndarray:
        """Department names → codes (-1 for a department with no staff)."""
        lookup = {d: i for i, d in enumerate(self.departments)}
        s = pl.Series(names).cast(pl.String)
        uniq = s.unique().sort()
        code = pl.Series([lookup.get(u, -1) for u in uniq.to_list()], dtype=pl.Int64)
        return s.replace_strict(uniq, code, default=-1).to_numpy()


def roster(ctx: GenContext) -> Roster:
    """The ``users`` table as arrays, cached in ``ctx.meta`` (built once per run)."""
    if "roster" not in ctx.meta:
        u = ctx.tables["users"]
        depts = sorted(u["department"].drop_nulls().unique().to_list())
        lookup = {d: i for i, d in enumerate(depts)}
        anchors = set(ctx.meta.get("anchor_users", pl.Series([], dtype=pl.String)).to_list())
        ctx.meta["roster"] = Roster(
            u["user_id"],
            u["role"].to_numpy().astype(object),
            depts,
            np.array([lookup.get(d, -1) for d in u["department"].to_list()], dtype=np.int64),
            u["hired_at"].dt.epoch("d").to_numpy().astype(np.int64) + 1,  # hired during that day
            u["terminated_at"].dt.epoch("d").fill_null(NEVER).to_numpy().astype(np.int64) - 1,
            np.array([x in anchors for x in u["user_id"].to_list()], dtype=bool),
        )
    return ctx.meta["roster"]


def pick_employed(
    rng: np.random.Generator,
    staff: Roster,
    role: str,
    department: np.ndarray | None,
    lo: np.ndarray,
    hi: np.ndarray,
    rounds: int = 48,
    fallback: bool = True,
) -> np.ndarray:
    """One ``role`` member per request, employed from day ``lo`` to day ``hi`` inclusive,
    in department code ``department[i]`` when given (see ``Roster.codes``). Returns roster
    row indices, -1 where nobody fits; with ``fallback`` an anchor of the role (and
    department) fills requests rejection sampling could not. ``staff.user_id.gather`` (via
    ``pools.pick``) turns the result into ids."""
    n = len(lo)
    out = np.full(n, -1, dtype=np.int64)
    cand = np.flatnonzero(staff.role == role)
    if n == 0 or len(cand) == 0:
        return out
    d = len(staff.departments)  # group d = "no such department", d + 1 = staff without one
    if department is None:
        ng, req, cand_group = 1, np.zeros(n, dtype=np.int64), np.zeros(len(cand), dtype=np.int64)
    else:
        ng, req = d + 2, np.where(department < 0, d, department)
        cand_group = np.where(staff.dept_code[cand] < 0, d + 1, staff.dept_code[cand])
    order = np.argsort(cand_group, kind="stable")
    cand, cand_group = cand[order], cand_group[order]
    count = np.bincount(cand_group, minlength=ng)
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
    if fallback and len(missing):
        is_anchor = staff.anchor[cand]
        a_cand, a_group = cand[is_anchor], cand_group[is_anchor]
        for gi in np.unique(req[missing]):
            rows = missing[req[missing] == gi]
            pool = a_cand[a_group == gi]
            if len(pool):
                out[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return out
