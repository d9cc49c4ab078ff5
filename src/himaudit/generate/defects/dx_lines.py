"""Helpers shared by the coding injectors (cod.py, cod_procedures.py): the ICD-10-CM code
set, encounters with their diagnosis lines, shortlists and claims in the ``encounters``
namespace, and line edits that keep every other rule quiet. No injector lives here.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.defects.doc import how_many, update
from himaudit.generate.tables.clinical import encounter_frame
from himaudit.reference.icd10cm import icd10cm_arrow
from himaudit.reference.icd_edits import excludes1_related


@functools.cache
def icd_codes() -> frozenset[str]:
    """Every ICD-10-CM code (undotted): a planted invalid code must not be one of these."""
    return frozenset(icd10cm_arrow()["code"].to_pylist())


@functools.cache
def _dotted_parent() -> dict[str, str]:
    """Dotted code -> its dotted parent (E11.9 -> E11), from the cached code table."""
    table = icd10cm_arrow()
    dotted = dict(zip(table["code"].to_pylist(), table["code_dotted"].to_pylist(), strict=True))
    return {
        d: dotted[p]
        for d, p in zip(table["code_dotted"].to_pylist(), table["parent"].to_pylist(), strict=True)
        if p is not None
    }


def undot(code: str) -> str:
    return code.replace(".", "").strip().upper()


def enc_dx(ctx: GenContext) -> pl.DataFrame:
    """One row per encounter that has diagnosis lines: mrn, class, patient sex and age,
    admission and the principal code (seq 1; NULL if none), sorted by encounter id.

    Computed once per run from the clean lines, so no injector joins the whole diagnoses
    table again. It stays true for every *unclaimed* encounter (each COD injector claims the
    encounters it changes), and injectors only ever sample unclaimed ones."""
    if "cod:enc_dx" not in ctx.meta:
        dx = ctx.tables["diagnoses"]
        princ = dx.filter(pl.col("seq") == 1).unique("encounter_id", keep="first")
        enc = encounter_frame(ctx).select(
            "encounter_id", "mrn", "encounter_class", "sex", "age", "admit_at"
        )
        ctx.meta["cod:enc_dx"] = (
            enc.join(dx.select("encounter_id"), on="encounter_id", how="semi")
            .join(princ.select("encounter_id", principal="code"), on="encounter_id", how="left")
            .sort("encounter_id")
        )
    return ctx.meta["cod:enc_dx"]


def lines_of(ctx: GenContext, encounters: pl.DataFrame) -> pl.DataFrame:
    """The current diagnosis lines of a few encounters, with their encounter columns."""
    dx = ctx.tables["diagnoses"].filter(
        pl.col("encounter_id").is_in(encounters["encounter_id"].implode())
    )
    cols = [c for c in encounters.columns if c not in dx.columns or c == "encounter_id"]
    return dx.join(encounters.select(cols), on="encounter_id", how="inner").sort(
        "encounter_id", "seq"
    )


def shortlist(ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float,
              factor: int = 4) -> tuple[pl.DataFrame, int]:  # fmt: skip
    """A random sample of unclaimed encounters of ``frame`` (a few times more than needed)
    and how many defects to plant: the per-encounter checks then run on thousands of rows,
    not millions. ``frame`` has one row per encounter, sorted by encounter id."""
    if rate >= 1 and frame.height > 8 * (int(rate) * factor + 50):
        # a count: filter an oversample only, never the whole frame (see doc.pick)
        rows = np.sort(rng.choice(frame.height, size=int(rate) * factor + 50, replace=False))
        cand = _unclaimed(ctx, frame[rows])
        if cand.height >= int(rate) * 2:
            return cand, int(rate)
    ids = _unclaimed(ctx, frame)
    want = how_many(rate, ids.height)
    rows = np.sort(rng.permutation(ids.height)[: want * factor + 50])
    return ids[rows], want


def _unclaimed(ctx: GenContext, frame: pl.DataFrame) -> pl.DataFrame:
    ids = frame.filter(~pl.col("encounter_id").is_in(list(ctx.claimed("encounters"))))
    return ids.unique("encounter_id", keep="first", maintain_order=True)


def pick_encounters(ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float,
                    ok: object = None, want: int | None = None) -> list[str]:  # fmt: skip
    """Unclaimed encounter ids from ``frame`` (optionally passing ``ok(encounter_id)``)."""
    ids = frame.filter(~pl.col("encounter_id").is_in(list(ctx.claimed("encounters"))))
    ids = ids["encounter_id"].unique().sort().to_numpy()
    want = how_many(rate, len(ids)) if want is None else want
    chosen: list[str] = []
    for eid in ids[rng.permutation(len(ids))]:
        if len(chosen) >= want:
            break
        if ok is None or ok(eid):  # type: ignore[operator]
            chosen += ctx.claim("encounters", [eid])
    return chosen


def codes_of(lines: pl.DataFrame) -> dict[str, list[str]]:
    return {k: v for k, v in lines.group_by("encounter_id").agg(pl.col("code")).iter_rows()}


def fits(new: list[str], existing: list[str]) -> bool:
    """No Excludes1 relation and no repeat between the new codes and the encounter's codes."""
    have = [undot(c) for c in existing]
    return all(
        undot(n) not in have and not any(excludes1_related(n, c) for c in existing) for n in new
    )


def append_lines(ctx: GenContext, rows: list[tuple[str, str]]) -> dict[str, str]:
    """Add (encounter_id, code) lines after each encounter's last seq; returns line keys."""
    dx = ctx.tables["diagnoses"]
    touched = dx.filter(pl.col("encounter_id").is_in(list({e for e, _ in rows})))
    top = dict(touched.group_by("encounter_id").agg(pl.col("seq").max()).iter_rows())
    new, keys = [], {}
    for eid, code in rows:
        top[eid] = int(top.get(eid) or 0) + 1
        new.append(
            {"encounter_id": eid, "seq": top[eid], "code": code, "present_on_admission": None}
        )
        keys[eid] = f"{eid}:{top[eid]}"
    if new:
        add = pl.DataFrame(new, schema=dx.schema)
        ctx.tables["diagnoses"] = pl.concat([dx, add])  # appended lines go last, like late coding
    return keys


def set_codes(ctx: GenContext, rows: list[tuple[str, int, str]]) -> None:
    if rows:
        frame = pl.DataFrame(rows, schema=["encounter_id", "seq", "code"], orient="row")
        update(ctx, "diagnoses", frame, ["encounter_id", "seq"])


def mrn_of(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("encounter_id", "mrn").unique("encounter_id").iter_rows())
