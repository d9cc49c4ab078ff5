"""COD defect injectors: coding defects planted in ``diagnoses`` and ``procedures``.

Diagnosis injectors take whole encounters (shared ``encounters`` claim namespace) and check
every code they add against the encounter's other codes (Excludes1) and the patient's sex
and age, so each planted defect trips only its own rule. The patients of sex/age defects are
claimed in ``patients`` so MPI injectors leave their demographics alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import advanced, as_of, how_many, update
from himaudit.generate.registry import injector
from himaudit.generate.tables.clinical import encounter_frame
from himaudit.reference.icd10cm import icd10cm_arrow
from himaudit.reference.icd_edits import excludes1_related, manifestation_codes


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


@injector("COD-010", tables=("procedures",))
def em_upcoding(ctx: GenContext, rate: float) -> list[Defect]:
    """Providers who bill levels 4-5 far more often than their specialty's mix: +35 points
    (basic) or +22 points (advanced, on providers with more visits so it stays detectable)."""
    from himaudit.generate.tables.clinical import em_established_mix

    rng = ctx.rng("inject:COD-010")
    est = ["99211", "99212", "99213", "99214", "99215"]
    em = ctx.tables["procedures"].filter(pl.col("code").is_in(est))
    spec = ctx.tables["users"].select(pl.col("user_id").alias("provider_id"), "specialty")
    min_visits = 150 if advanced(ctx) else 60
    vol = em.group_by("provider_id").len().join(spec, on="provider_id", how="left")
    vol = vol.filter(pl.col("len") >= min_visits).sort("provider_id")
    n = how_many(rate, vol.height)
    chosen = vol[rng.permutation(vol.height)[:n]]
    mix, out, changes = em_established_mix(), [], []
    for pid, specialty in chosen.select("provider_id", "specialty").iter_rows():
        shares = np.array(mix.get(str(specialty), mix["default"]))
        high = min(0.95, shares[3:].sum() / shares.sum() + (0.22 if advanced(ctx) else 0.35))
        p = (
            np.array([0.03, 0.22, 0.75, 0.0, 0.0]) * (1 - high)
            + np.array([0, 0, 0, 0.6, 0.4]) * high
        )
        lines = em.filter(pl.col("provider_id") == pid).select("encounter_id", "seq")
        ctx.claim("procedures", [f"{e}:{s}" for e, s in lines.iter_rows()])
        codes = np.array(est)[rng.choice(5, lines.height, p=p / p.sum())]
        changes.append(lines.with_columns(pl.Series("code", codes)))
        out.append(
            Defect("COD-010", "users", str(pid), None, f"levels 4-5 on ~{high:.0%} of visits")
        )
    if changes:
        update(ctx, "procedures", pl.concat(changes), ["encounter_id", "seq"])
    return out


def _procedure_pick(ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float,
                    where: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:  # fmt: skip
    """Unclaimed procedure lines of distinct unclaimed encounters passing ``where`` (which
    joins the encounter columns), ``rate`` of them, claimed now. With a count, ``where`` and
    the claim checks run on a random oversample of the lines only (see
    ``dq.unclaimed_sample``); the whole frame is checked for a share or when it falls short."""
    if rate >= 1 and frame.height > 8 * (int(rate) * 4 + 64):
        rows = np.sort(rng.choice(frame.height, size=int(rate) * 4 + 64, replace=False))
        cand = _procedure_candidates(ctx, where(frame[rows]))
        if cand.height >= int(rate):
            return _procedure_claim(ctx, rng, cand, rate)
    return _procedure_claim(ctx, rng, _procedure_candidates(ctx, where(frame)), rate)


def _procedure_candidates(ctx: GenContext, frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(
        (pl.col("encounter_id") + ":" + pl.col("seq").cast(pl.String)).alias("key")
    )
    frame = frame.filter(~pl.col("key").is_in(list(ctx.claimed("procedures"))))
    frame = frame.filter(~pl.col("encounter_id").is_in(list(ctx.claimed("encounters"))))
    return frame.unique("encounter_id", keep="first", maintain_order=True).sort("key")


def _procedure_claim(
    ctx: GenContext, rng: np.random.Generator, frame: pl.DataFrame, rate: float
) -> pl.DataFrame:
    frame = frame[rng.permutation(frame.height)[: how_many(rate, frame.height)]]
    ctx.claim("procedures", frame["key"].to_list())
    ctx.claim("encounters", frame["encounter_id"].to_list())
    return frame


@injector("COD-011", tables=("procedures",))
def procedure_outside_encounter(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:COD-011")
    enc = ctx.tables["encounters"].select("encounter_id", "mrn", "admit_at", "discharge_at")

    def done_stays(lines: pl.DataFrame) -> pl.DataFrame:
        return lines.join(enc, on="encounter_id", maintain_order="left").filter(
            pl.col("discharge_at").is_not_null()
            & (pl.col("discharge_at") + timedelta(days=3) < as_of(ctx))
        )

    proc = ctx.tables["procedures"].select("encounter_id", "seq")
    cand = _procedure_pick(ctx, rng, proc, rate, done_stays)
    # basic: a day or two before admission; advanced: minutes before admission / after discharge
    mins = (
        rng.uniform(5, 30, cand.height) if advanced(ctx) else rng.uniform(24, 48, cand.height) * 60
    )
    after = (np.arange(cand.height) % 2 == 1) & advanced(ctx)
    moved = cand.with_columns(
        pl.when(pl.Series(after))
        .then(pl.col("discharge_at") + pl.duration(seconds=pl.Series((mins * 60).round())))
        .otherwise(pl.col("admit_at") - pl.duration(seconds=pl.Series((mins * 60).round())))
        .alias("performed_at")
    )
    update(
        ctx,
        "procedures",
        moved.select("encounter_id", "seq", "performed_at"),
        ["encounter_id", "seq"],
    )
    return [
        Defect("COD-011", "procedures", k, m, "performed outside the encounter")
        for k, m in cand.select("key", "mrn").iter_rows()
    ]


@injector("COD-012", tables=("procedures",))
def units_above_maximum(ctx: GenContext, rate: float) -> list[Defect]:
    from himaudit.paths import warehouse_dir

    rng = ctx.rng("inject:COD-012")
    limits = pl.read_csv(
        warehouse_dir() / "reference" / "procedure_codes.csv", schema_overrides={"code": pl.String}
    )
    limits = limits.filter(pl.col("code_system") == "HCPCS").select("code", "max_units_per_day")
    enc = ctx.tables["encounters"].select("encounter_id", "mrn")
    proc = (
        ctx.tables["procedures"]
        .select("encounter_id", "seq", "code")
        .join(limits, on="code", maintain_order="left")
    )
    cand = _procedure_pick(
        ctx, rng, proc, rate, lambda f: f.join(enc, on="encounter_id", maintain_order="left")
    )
    extra = np.ones(cand.height, int) if advanced(ctx) else rng.integers(2, 10, cand.height)
    new = cand.select(
        "encounter_id", "seq", (pl.col("max_units_per_day") + pl.Series(extra)).alias("units")
    )
    update(ctx, "procedures", new, ["encounter_id", "seq"])
    return [
        Defect("COD-012", "procedures", k, m, "units above the daily maximum")
        for k, m in cand.select("key", "mrn").iter_rows()
    ]
