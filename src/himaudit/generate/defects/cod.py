"""COD defect injectors for diagnosis codes (COD-001..009), planted in ``diagnoses``.

Diagnosis injectors take whole encounters (shared ``encounters`` claim namespace) and check
every code they add against the encounter's other codes (Excludes1) and the patient's sex
and age, so each planted defect trips only its own rule. The patients of sex/age defects are
claimed in ``patients`` so MPI injectors leave their demographics alone. Procedure-line
injectors (COD-010..012) are in cod_procedures.py; shared helpers in dx_lines.py.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import advanced
from himaudit.generate.defects.dx_lines import (
    _dotted_parent,
    append_lines,
    codes_of,
    enc_dx,
    fits,
    icd_codes,
    lines_of,
    mrn_of,
    pick_encounters,
    set_codes,
    shortlist,
    undot,
)
from himaudit.generate.registry import injector
from himaudit.reference.icd_edits import excludes1_related, manifestation_codes


@injector("COD-001", tables=("diagnoses",))
def invalid_code(ctx: GenContext, rate: float) -> list[Defect]:
    """Basic: one character too many (E11.9 -> E11.99). Advanced: letter O for zero or
    letter I for one (I10 -> I1O), the typo a human reader misses."""
    rng = ctx.rng("inject:COD-001")
    short, want = shortlist(ctx, rng, enc_dx(ctx), rate)
    eids = pick_encounters(ctx, rng, short, rate, want=want)
    mrn, out, rows = mrn_of(short), [], []
    chosen = lines_of(ctx, short.filter(pl.col("encounter_id").is_in(eids)))
    for eid, seq, code in (
        chosen.unique("encounter_id", keep="last", maintain_order=True)
        .select("encounter_id", "seq", "code")
        .iter_rows()
    ):
        bad = _near_miss(code) if advanced(ctx) else code + "9"
        if undot(bad) in icd_codes():
            bad = code.replace(".", "") + "Z9"
        rows.append((eid, seq, bad))
        out.append(Defect("COD-001", "diagnoses", f"{eid}:{seq}", mrn[eid], f"{code} -> {bad}"))
    set_codes(ctx, rows)
    return out


def _near_miss(code: str) -> str:
    for a, b in (("0", "O"), ("1", "I"), ("5", "S")):
        i = code.find(a, 1)
        if i > 0:
            return code[:i] + b + code[i + 1 :]
    return code + "9"


@injector("COD-002", tables=("diagnoses",))
def header_code(ctx: GenContext, rate: float) -> list[Defect]:
    """A billable code truncated to its header (E11.9 -> E11; advanced I48.91 -> I48.9)."""
    rng = ctx.rng("inject:COD-002")
    long = 6 if advanced(ctx) else 4  # dotted length of the codes we truncate
    short, want = shortlist(ctx, rng, enc_dx(ctx), rate, factor=12 if advanced(ctx) else 4)
    cand = lines_of(ctx, short).filter(pl.col("code").str.len_chars() >= long)
    has_long = set(cand["encounter_id"].to_list())
    eids = pick_encounters(ctx, rng, short, rate, lambda e: e in has_long, want)
    chosen = cand.filter(pl.col("encounter_id").is_in(eids)).unique(
        "encounter_id", keep="first", maintain_order=True
    )
    mrn, out, rows = mrn_of(short), [], []
    for eid, seq, code in (
        chosen.sort("encounter_id").select("encounter_id", "seq", "code").iter_rows()
    ):
        parent = _dotted_parent()[code]
        rows.append((eid, seq, parent))
        out.append(Defect("COD-002", "diagnoses", f"{eid}:{seq}", mrn[eid], f"{code} -> {parent}"))
    set_codes(ctx, rows)
    return out


def _add_checked(ctx: GenContext, rng: np.random.Generator, rate: float, rule: str,
                 lines: pl.DataFrame, new_code: object, detail: str) -> list[Defect]:  # fmt: skip
    """Append a code (``new_code(row) -> code``) to unclaimed eligible encounters where it
    causes no Excludes1 pair or repeat; one Defect per added line."""
    lines, want = shortlist(ctx, rng, lines, rate)
    have = codes_of(lines_of(ctx, lines.select("encounter_id")))
    info = {r["encounter_id"]: r for r in lines.iter_rows(named=True)}
    picked: dict[str, str] = {}

    def ok(eid: str) -> bool:
        code = new_code(info[eid])  # type: ignore[operator]
        if code and fits([code], have.get(eid, [])):
            picked[eid] = code
            return True
        return False

    eids = pick_encounters(ctx, rng, lines, rate, ok, want)
    ctx.claim("patients", [info[e]["mrn"] for e in eids])
    keys = append_lines(ctx, [(e, picked[e]) for e in eids])
    return [
        Defect(rule, "diagnoses", keys[e], info[e]["mrn"], f"{picked[e]}: {detail}") for e in eids
    ]


@injector("COD-003", tables=("diagnoses",))
def sex_conflict(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-003")
    lines = enc_dx(ctx).filter(
        pl.col("sex").is_in(["F", "M"]) & (pl.col("age") >= 20) & (pl.col("age") <= 80)
    )
    lines = lines.filter(~pl.col("mrn").is_in(list(ctx.claimed("patients"))))
    # advanced: codes whose sex is not obvious from the wording
    female, male = (
        (("N83.201", "D25.9"), ("N50.89", "D29.1"))
        if advanced(ctx)
        else (("N95.1", "N81.2"), ("N40.0", "C61"))
    )

    def code(r: dict) -> str:
        options = male if r["sex"] == "F" else female
        return options[sum(map(ord, r["encounter_id"])) % len(options)]

    return _add_checked(ctx, rng, rate, "COD-003", lines, code, "sex conflict")


@injector("COD-004", tables=("diagnoses",))
def age_conflict(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-004")
    lines = enc_dx(ctx).filter(~pl.col("mrn").is_in(list(ctx.claimed("patients"))))
    if advanced(
        ctx
    ):  # just outside the range: an 18-year-old's child exam, a 14-year-old's adult exam
        lines = lines.filter(pl.col("age").is_in([14, 18]))
        code = lambda r: "Z00.129" if r["age"] == 18 else "Z00.00"  # noqa: E731
    else:  # a newborn code on an adult
        lines = lines.filter((pl.col("age") >= 20) & (pl.col("age") <= 90))
        code = lambda r: "P59.9"  # noqa: E731
    return _add_checked(ctx, rng, rate, "COD-004", lines, code, "age conflict")


def _principals(ctx: GenContext) -> pl.DataFrame:
    return enc_dx(ctx).filter(pl.col("principal").is_not_null())


def _replace_principal(ctx: GenContext, rng: np.random.Generator, rate: float, rule: str,
                       options: list[str], detail: str) -> list[Defect]:  # fmt: skip
    """Replace the principal with one of ``options`` where it fits the other codes."""
    lines = _principals(ctx).filter((pl.col("age") >= 18) & (pl.col("age") <= 90))
    lines, want = shortlist(ctx, rng, lines, rate)
    have = codes_of(lines_of(ctx, lines.select("encounter_id")).filter(pl.col("seq") > 1))
    picked: dict[str, str] = {}

    def ok(eid: str) -> bool:
        code = options[int(rng.integers(0, len(options)))]
        if fits([code], have.get(eid, [])):
            picked[eid] = code
            return True
        return False

    eids = pick_encounters(ctx, rng, lines, rate, ok, want)
    set_codes(ctx, [(e, 1, picked[e]) for e in eids])
    mrn = mrn_of(lines)
    return [Defect(rule, "diagnoses", f"{e}:1", mrn[e], f"{picked[e]}: {detail}") for e in eids]


@injector("COD-005", tables=("diagnoses",))
def manifestation_principal(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-005")
    wanted = ["G63", "M36.0", "H36.89"] if advanced(ctx) else ["F02.80", "G63"]
    known = set(manifestation_codes())
    options = [c for c in wanted if undot(c) in known]
    return _replace_principal(ctx, rng, rate, "COD-005", options, "manifestation as principal")


@injector("COD-006", tables=("diagnoses",))
def external_cause_principal(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-006")
    options = ["Y92.009", "V43.52XA", "X58.XXXA"] if advanced(ctx) else ["W19.XXXA", "W18.30XA"]
    return _replace_principal(ctx, rng, rate, "COD-006", options, "external cause as principal")


@injector("COD-007", tables=("diagnoses",))
def duplicate_principal(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-007")
    lines, want = shortlist(ctx, rng, _principals(ctx), rate)
    eids = pick_encounters(ctx, rng, lines, rate, want=want)
    princ = dict(lines.select("encounter_id", "principal").iter_rows())
    # advanced: the repeat is written differently (no dot, lower case)
    fmt = (lambda c: undot(c).lower()) if advanced(ctx) else (lambda c: c)
    keys = append_lines(ctx, [(e, fmt(princ[e])) for e in eids])
    mrn = mrn_of(lines)
    return [Defect("COD-007", "diagnoses", keys[e], mrn[e], "principal repeated") for e in eids]


@injector("COD-008", tables=("diagnoses",))
def no_principal(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-008")
    lines, want = shortlist(ctx, rng, _principals(ctx), rate)
    eids = pick_encounters(ctx, rng, lines, rate, want=want)
    dx = ctx.tables["diagnoses"]
    hit = pl.col("encounter_id").is_in(eids)
    # basic: numbering starts at 2; advanced: the principal was keyed as seq 0
    shifted = (
        pl.col("seq") + 1
        if not advanced(ctx)
        else pl.when(pl.col("seq") == 1).then(0).otherwise(pl.col("seq"))
    )
    ctx.tables["diagnoses"] = dx.with_columns(
        pl.when(hit).then(shifted).otherwise(pl.col("seq")).cast(pl.Int32).alias("seq")
    )
    mrn = mrn_of(lines)
    return [Defect("COD-008", "encounters", e, mrn[e], "no principal diagnosis") for e in eids]


# Excludes1 pairs (both billable, no sex/age edit) a coder plausibly puts on one claim.
EXCLUDES1_PAIRS = [
    ("E11.9", "E10.9"),
    ("Z87.891", "F17.210"),
    ("J44.9", "J45.909"),
    ("E66.9", "E66.01"),
]


@injector("COD-009", tables=("diagnoses",))
def excludes1_pair(ctx: GenContext, rate: float) -> list[Defect]:
    """Add the partner of a code already on the encounter (advanced: the partner only, so the
    pair spans an original and an added line) or both codes of a pair (basic)."""
    rng = ctx.rng("inject:COD-009")
    pairs = [p for p in EXCLUDES1_PAIRS if excludes1_related(*p)]
    lines = enc_dx(ctx).filter((pl.col("age") >= 18) & (pl.col("age") <= 90))
    if advanced(ctx):  # only encounters already carrying one code of a pair
        dx = ctx.tables["diagnoses"]
        with_a = dx.filter(pl.col("code").is_in([a for a, _ in pairs])).select("encounter_id")
        lines = lines.join(with_a, on="encounter_id", how="semi", maintain_order="left")
    lines, want = shortlist(ctx, rng, lines, rate)
    have = codes_of(lines_of(ctx, lines.select("encounter_id")))
    plan: dict[str, list[str]] = {}

    def ok(eid: str) -> bool:
        codes = have.get(eid, [])
        for a, b in pairs:
            if advanced(ctx) and a in codes:
                new = [b]
            elif not advanced(ctx) and a not in codes and b not in codes:
                new = [a, b]
            else:
                continue
            others = [c for c in codes if c != a]
            if fits(new, others) and not any(excludes1_related(x, a) for x in others if a in codes):
                plan[eid] = new
                return True
        return False

    eids = pick_encounters(ctx, rng, lines, rate, ok, want)
    dx = ctx.tables["diagnoses"].filter(pl.col("encounter_id").is_in(eids))
    firsts = append_lines(ctx, [(e, plan[e][0]) for e in eids])  # one pass per added column
    seconds = append_lines(ctx, [(e, plan[e][1]) for e in eids if len(plan[e]) == 2])
    out, mrn = [], mrn_of(lines)
    for eid in eids:
        keys = [firsts[eid]] + ([seconds[eid]] if eid in seconds else [])
        if len(keys) == 1:  # partner of an existing line
            seq = dx.filter(
                (pl.col("encounter_id") == eid) & (pl.col("code") == _first_of(plan[eid][0]))
            )["seq"]
            keys.append(f"{eid}:{seq[0]}")
        out.append(
            Defect("COD-009", "diagnoses", "|".join(sorted(keys)), mrn[eid], "+".join(plan[eid]))
        )
    return out


def _first_of(partner: str) -> str:
    return next(a for a, b in EXCLUDES1_PAIRS if b == partner)
