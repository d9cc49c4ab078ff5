"""How registration gets a patient wrong, for the MPI injectors (mpi.py): duplicate
registrations with realistic errors (:func:`plant_duplicates`), a second MPI row under an old
MRN (:func:`reuse_mrns`) and fresh MRNs that collide with nothing (:func:`fresh_mrns`). They
work on a bare patients frame, so the 1M-row benchmark plants duplicates exactly as the
generator does without building a whole hospital. No injector lives here.
"""

from __future__ import annotations

import csv
import functools
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from himaudit.generate.pools import phones

# --- duplicate registrations -------------------------------------------------------------
# A duplicate is the same person registered again under a new MRN with what registration
# really gets wrong (AHIMA MPI practice briefs): nicknames, typos, first/middle swaps,
# swapped day/month, one wrong digit, a married name, a move, a missing SSN or middle name.
# Each duplicate keeps enough identity to be recognisable by a careful person (anchor
# count below); 'advanced' stacks more and subtler changes on fewer anchors.
PHONE_OFFSET = 5_500_000_000  # patients use [0, 4e9), the workforce [4e9, 5e9)


@functools.cache
def _nicknames() -> dict[str, tuple[str, ...]]:
    """formal given name (upper) -> its nicknames, from the reference list."""
    from himaudit.paths import warehouse_dir

    out: dict[str, list[str]] = {}
    with (warehouse_dir() / "reference" / "nicknames.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["canonical"], []).append(row["nickname"])
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _typo(rng: np.random.Generator, s: str, subtle: bool) -> str:
    """One keying error inside the word (never the first letter: clerks get that right)."""
    if len(s) < 4:
        return s + s[-1].lower()
    i = int(rng.integers(1, len(s) - 1))
    kind = rng.choice(["swap", "drop", "double"] if subtle else ["swap", "sub", "drop"])
    if kind == "swap":
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :] if s[i] != s[i + 1] else s[:i] + s[i + 1 :]
    if kind == "drop":
        return s[:i] + s[i + 1 :]
    if kind == "double":
        return s[: i + 1] + s[i] + s[i + 1 :]
    letter = "aeiou"[int(rng.integers(0, 5))] if s[i].lower() not in "aeiou" else "r"
    return s[:i] + letter + s[i + 1 :]


def _dob_error(rng: np.random.Generator, d: date, as_of: date) -> tuple[date, str] | None:
    if d.day <= 12 and d.day != d.month and rng.random() < 0.5:
        return d.replace(month=d.day, day=d.month), "day/month swapped"
    iso = d.isoformat()
    for _ in range(10):  # one wrong digit in the day or in the year's last digit
        try:
            if rng.random() < 0.5:
                cand = d.replace(day=(d.day // 10) * 10 + int(rng.integers(0, 10)))
            else:
                cand = d.replace(year=(d.year // 10) * 10 + int(rng.integers(0, 10)))
        except ValueError:  # 31st of a short month, 29 Feb of a common year
            continue
        if cand <= as_of and sum(a != b for a, b in zip(cand.isoformat(), iso, strict=True)) == 1:
            return cand, "one digit wrong in birth date"
    return None


def _ssn_typo(rng: np.random.Generator, ssn: str) -> str:
    digits = list(ssn)
    pos = [i for i in range(4, len(ssn)) if ssn[i].isdigit()]  # keep the 9XX area
    for _ in range(10):
        i = int(rng.choice(pos))
        digits[i] = str((int(ssn[i]) + int(rng.integers(1, 10))) % 10)
        cand = "".join(digits)
        if cand[4:6] != "00" and cand[7:] != "0000":
            return cand
        digits = list(ssn)
    return ssn


def _perturb(row: dict[str, Any], rng: np.random.Generator, advanced: bool, as_of: date,
             new_home: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    """One duplicate registration of ``row``; returns it and what was changed."""
    for _ in range(50):
        out, what = dict(row), []
        n_changes = int(rng.integers(2, 5)) if advanced else int(rng.integers(1, 3))
        options = ["first", "last", "dob", "ssn", "middle", "home"]
        weights = np.array([3, 1.5, 2, 2, 1, 2], dtype=float)
        for change in rng.choice(options, n_changes, replace=False, p=weights / weights.sum()):
            _apply(change, out, what, rng, advanced, as_of, new_home)
        anchors = sum(
            [out["ssn"] is not None and out["ssn"] == row["ssn"],
             out["birth_date"] == row["birth_date"],
             out["first_name"] == row["first_name"],
             out["last_name"] == row["last_name"],
             out["address"] == row["address"]]
        )  # fmt: skip
        strong = out["birth_date"] == row["birth_date"] or (
            out["ssn"] is not None and out["ssn"] == row["ssn"]
        )
        if what and anchors >= (2 if advanced else 3) and strong:
            return out, what
    out = dict(row)
    out["middle_name"] = None
    return out, ["middle name left blank"]


def _apply(change: str, out: dict[str, Any], what: list[str], rng: np.random.Generator,
           advanced: bool, as_of: date, new_home: dict[str, Any]) -> None:  # fmt: skip
    first = out["first_name"] or ""
    if change == "first":
        nicks = _nicknames().get(first.upper())
        r = rng.random()
        if nicks and r < 0.55:
            out["first_name"] = str(rng.choice(nicks)).title()
            what.append("nickname")
        elif out["middle_name"] and r < 0.7 and not advanced:
            out["first_name"], out["middle_name"] = out["middle_name"], first
            what.append("first and middle name swapped")
        elif len(first) >= 4:
            out["first_name"] = _typo(rng, first, advanced)
            what.append("typo in first name")
    elif change == "last" and len(out["last_name"] or "") >= 4:
        if out["sex"] == "F" and rng.random() < 0.5:
            maiden = out["last_name"]
            out["last_name"] = new_home["last_name"]
            if rng.random() < 0.5:
                out["middle_name"] = maiden
            what.append("married name")
        else:
            out["last_name"] = _typo(rng, out["last_name"], advanced)
            what.append("typo in last name")
    elif change == "dob" and out["birth_date"] is not None:
        err = _dob_error(rng, out["birth_date"], as_of)
        if err:
            out["birth_date"], label = err
            what.append(label)
    elif change == "ssn" and out["ssn"]:
        if rng.random() < 0.6:
            out["ssn"] = None
            what.append("SSN not recorded")
        else:
            out["ssn"] = _ssn_typo(rng, out["ssn"])
            what.append("one digit wrong in SSN")
    elif change == "middle" and out["middle_name"]:
        if rng.random() < 0.5:
            out["middle_name"] = None
            what.append("middle name left blank")
        else:
            out["middle_name"] = out["middle_name"][0]
            what.append("middle initial only")
    elif change == "home":
        for k in ("address", "phone", "city", "state", "zip"):
            out[k] = new_home[k]
        what.append("moved (new address and phone)")


def fresh_mrns(pats: pl.DataFrame, rng: np.random.Generator, n: int) -> list[str]:
    """``n`` new MRNs in the generator's format, unused by any MPI row."""
    used = set(pats["mrn"].drop_nulls().to_list())
    out: list[str] = []
    while len(out) < n:
        for num in rng.integers(0, 100_000_000, 2 * (n - len(out)) + 8):
            mrn = f"M{int(num):08d}"
            if mrn not in used:
                used.add(mrn)
                out.append(mrn)
                if len(out) == n:
                    break
    return out


def plant_duplicates(pats: pl.DataFrame, chosen: list[str], rng: np.random.Generator, pools: Any,
                     *, copies: int, advanced: bool, as_of: date,
                     ) -> tuple[pl.DataFrame, list[tuple[list[str], str]]]:  # fmt: skip
    """``copies`` duplicate registrations for each chosen MRN; returns the new rows and,
    per person, (all MRNs of that person, what was changed)."""
    originals = (
        pats.filter(pl.col("mrn").is_in(chosen))
        .unique("mrn", keep="first", maintain_order=True)
        .sort("mrn")
    )
    n = originals.height * copies
    place = pools.places(rng, n)
    homes = {
        "address": pools.addresses(rng, n),
        "phone": phones(rng, n, offset=PHONE_OFFSET, space=800_000_000),
        "last_name": pools.last_names(rng, n),
        **{c: place[c].to_list() for c in ("city", "state", "zip")},
    }
    new_mrn = iter(fresh_mrns(pats, rng, n))
    rows, groups, k = [], [], 0
    for orig in originals.iter_rows(named=True):
        mrns, hows = [orig["mrn"]], []
        for _ in range(copies):
            home = {c: homes[c][k] for c in homes}
            k += 1
            dup, what = _perturb(orig, rng, advanced, as_of, home)
            dup["mrn"] = next(new_mrn)
            # a re-registration: later than the original, before death and as-of
            limit = min(as_of, dup["death_date"] or as_of)
            start = orig["registered_at"].date() if orig["registered_at"] else limit
            span = max((limit - start).days, 1)
            dup["registered_at"] = orig["registered_at"] and orig["registered_at"] + timedelta(
                days=int(rng.integers(0, span))
            )
            rows.append(dup)
            mrns.append(dup["mrn"])
            hows.append(", ".join(what))
        groups.append((mrns, "; ".join(hows)))
    frame = pl.DataFrame(rows, schema=pats.schema) if rows else pats.clear()
    return frame, groups


def reuse_mrns(pats: pl.DataFrame, chosen: list[str], rng: np.random.Generator, *, as_of: date,
               advanced: bool) -> pl.DataFrame:  # fmt: skip
    """A second MPI row under each chosen MRN (a re-registration that reused the number
    instead of updating the row): same person and dates, a later registration, and —
    advanced — the address keyed in another style."""
    rows = []
    for orig in (
        pats.filter(pl.col("mrn").is_in(chosen))
        .unique("mrn", keep="first", maintain_order=True)
        .iter_rows(named=True)
    ):
        dup = dict(orig)
        if dup["registered_at"] is not None:
            limit = min(as_of, dup["death_date"] or as_of)
            days = max((limit - dup["registered_at"].date()).days, 1)
            dup["registered_at"] += timedelta(days=int(rng.integers(0, days)))
        if advanced and dup["address"]:
            dup["address"] = dup["address"].upper()
        rows.append(dup)
    return pl.DataFrame(rows, schema=pats.schema) if rows else pats.clear()
