"""Release-of-information defects (ROI-001..007), each tripping exactly its own rule.

Most defects break a clean request that needs an authorization and carries only general
categories ("plain"), so no psychotherapy / Part 2 rule can fire by accident. When a small
hospital has too few of them, fresh clean requests are added first (``fresh_requests``) and
then broken — the defect is in the data either way. ``advanced`` difficulty plants the
near misses: released one hour after expiry, signed one hour after release, scope narrowed on
the authorization instead of widened on the disclosure, exempt treatment/payment releases
that still needed a psychotherapy or Part 2 authorization, 30 days + 1 hour.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from himaudit.generate.context import Defect, GenContext
from himaudit.generate.defects.doc import update_frame
from himaudit.generate.registry import injector
from himaudit.generate.tables.roi import (
    ELEMENTS,
    GENERAL,
    PART2,
    PSYCHOTHERAPY,
    fresh_requests,
    needs_authorization,
)

HOUR = 3_600_000_000  # microseconds
DAY = 24 * HOUR
PLAIN_KINDS = [("attorney", "legal"), ("insurer", "insurance"), ("provider", "research")]


def count(rate: float, eligible: int) -> int:
    """Profile rate → number of defects: a share of the eligible records, or a count ≥ 1."""
    if rate <= 0:
        return 0
    return int(rate) if rate >= 1 else max(1, round(rate * eligible))


def advanced(ctx: GenContext) -> bool:
    return ctx.profile.mix.get("difficulty", "basic") == "advanced"


def update_rows(df: pl.DataFrame, key: str, changes: pl.DataFrame) -> pl.DataFrame:
    """Overwrite the given columns (NULLs included) on the rows whose key is in changes."""
    return update_frame(df, changes, key)


def _plain(ctx: GenContext) -> pl.DataFrame:
    """Released, authorized, non-exempt, general-only disclosures joined to their
    authorization, neither claimed yet; sorted for determinism."""
    d, a = ctx.tables["disclosures"], ctx.tables["authorizations"]
    taken_d, taken_a = ctx.claimed("disclosures"), ctx.claimed("authorizations")
    return (
        d.filter(
            pl.col("released_at").is_not_null()
            & needs_authorization(pl.col("requester_type"), pl.col("purpose"))
            & ~pl.col("categories").str.contains(f"{PSYCHOTHERAPY}|{PART2}")
            & ~pl.col("disclosure_id").is_in(list(taken_d))
        )
        .join(
            a.select("authorization_id", "mrn", "signed_at", "expires_at", "revoked_at", "scope"),
            on=["authorization_id", "mrn"],
        )
        .filter(~pl.col("authorization_id").is_in(list(taken_a)))
        .sort("disclosure_id")
    )


def plain_pairs(ctx: GenContext, rng: np.random.Generator, n: int, tag: str) -> pl.DataFrame:
    """n plain (disclosure, authorization) pairs, claimed; topped up with fresh ones."""
    pool = _plain(ctx)
    short = n - pool.height
    if short > 0:
        d, a = fresh_requests(ctx, rng, short, PLAIN_KINDS, tag)
        ctx.tables["disclosures"] = pl.concat(
            [ctx.tables["disclosures"], d.select(ctx.tables["disclosures"].columns)],
            how="vertical_relaxed",
        )
        ctx.tables["authorizations"] = pl.concat(
            [ctx.tables["authorizations"], a.select(ctx.tables["authorizations"].columns)],
            how="vertical_relaxed",
        )
        pool = _plain(ctx)
    pick = pool[np.sort(rng.choice(pool.height, size=min(n, pool.height), replace=False))]
    ctx.claim("disclosures", pick["disclosure_id"].to_list())
    ctx.claim("authorizations", pick["authorization_id"].to_list())
    return pick


def _defects(
    rule: str, table: str, pick: pl.DataFrame, key: str, details: list[str]
) -> list[Defect]:
    return [
        Defect(rule, table, k, m, det)
        for k, m, det in zip(pick[key].to_list(), pick["mrn"].to_list(), details, strict=True)
    ]


@injector("ROI-001", tables=("disclosures", "authorizations"))
def missing_authorization(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:ROI-001")
    n = count(rate, _plain(ctx).height)
    pick = plain_pairs(ctx, rng, n, "1")
    others = ctx.tables["authorizations"].sort("authorization_id")
    new_ids, details = [], []
    for i, mrn in enumerate(pick["mrn"].to_list()):
        mode = i % 3 if advanced(ctx) else 0
        if mode == 1:  # cites a real authorization — of another patient
            cand = others.filter(pl.col("mrn") != mrn)["authorization_id"]
            new_ids.append(cand[int(rng.integers(0, cand.len()))])
            details.append("cites another patient's authorization")
        elif mode == 2:
            new_ids.append(f"AU{int(rng.integers(80_000_000, 90_000_000))}")
            details.append("cites an authorization id not on file")
        else:
            new_ids.append(None)
            details.append("no authorization for a non-exempt release")
    changes = pl.DataFrame({"disclosure_id": pick["disclosure_id"], "authorization_id": new_ids},
                           schema_overrides={"authorization_id": pl.String})  # fmt: skip
    ctx.tables["disclosures"] = update_rows(ctx.tables["disclosures"], "disclosure_id", changes)
    return _defects("ROI-001", "disclosures", pick, "disclosure_id", details)


@injector("ROI-002", tables=("authorizations",))
def defective_authorization(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:ROI-002")
    pick = plain_pairs(ctx, rng, count(rate, _plain(ctx).height), "2")
    a = ctx.tables["authorizations"]
    rows = a.filter(pl.col("authorization_id").is_in(pick["authorization_id"].implode()))
    rows = rows.sort("authorization_id")
    out, details = [], []
    statements = [e for e in ELEMENTS if e.startswith("statement_")]
    for i, row in enumerate(rows.iter_rows(named=True)):
        if advanced(ctx):
            if i % 2 == 0:  # a representative signed without describing their authority
                row.update(signer="representative", element_representative_authority=False)
                details.append("representative without authority")
            else:
                s = statements[int(rng.integers(0, len(statements)))]
                row[s] = False
                details.append(f"missing {s}")
        elif i % 3 == 0:
            row["signed_at"] = None
            details.append("unsigned")
        else:
            e = ELEMENTS[int(rng.integers(0, len(ELEMENTS)))]
            row[e] = False
            details.append(f"missing {e}")
        out.append(row)
    if out:
        changes = pl.DataFrame(out, schema=a.schema)
        ctx.tables["authorizations"] = update_rows(a, "authorization_id", changes)
    return _defects("ROI-002", "authorizations", rows, "authorization_id", details)


@injector("ROI-003", tables=("disclosures", "authorizations"))
def outside_validity(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:ROI-003")
    pick = plain_pairs(ctx, rng, count(rate, _plain(ctx).height), "3")
    rel = pick["released_at"].dt.epoch("us").to_numpy()
    signed = pick["signed_at"].dt.epoch("us").to_numpy()
    room = rel - signed  # > 0: signed before release in clean data
    adv = advanced(ctx)
    signed_new, expires_new, revoked_new, details = [], [], [], []
    for i in range(pick.height):
        gap = HOUR if adv else int(rng.integers(DAY, 20 * DAY))
        back = min(gap, max(room[i] // 2, 1))
        mode = i % 3
        s, e, r = signed[i], pick["expires_at"][i], pick["revoked_at"][i]
        if mode == 0:
            e = _ts(rel[i] - back)
            details.append("released after the authorization expired")
        elif mode == 1:
            s = rel[i] + gap
            details.append("released before the authorization was signed")
        else:
            r = _ts(rel[i] - back)
            details.append("released after the authorization was revoked")
        signed_new.append(_ts(s))
        expires_new.append(e)
        revoked_new.append(r)
    changes = pl.DataFrame(
        {"authorization_id": pick["authorization_id"], "signed_at": signed_new,
         "expires_at": expires_new, "revoked_at": revoked_new},
        schema_overrides={c: pl.Datetime("us") for c in ("signed_at", "expires_at", "revoked_at")},
    )  # fmt: skip
    ctx.tables["authorizations"] = update_rows(
        ctx.tables["authorizations"], "authorization_id", changes
    )
    return _defects("ROI-003", "disclosures", pick, "disclosure_id", details)


def _ts(us: int) -> object:
    from datetime import datetime, timedelta

    return datetime(1970, 1, 1) + timedelta(microseconds=int(us))


def _add(cats: str, cat: str) -> str:
    return ";".join([*(c for c in cats.split(";") if c), cat])


@injector("ROI-004", tables=("disclosures", "authorizations"))
def beyond_scope(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:ROI-004")
    pick = plain_pairs(ctx, rng, count(rate, _plain(ctx).height), "4")
    general = [c for c, _ in GENERAL]
    cats_new, scope_new, details = [], [], []
    for i, (cats, scope) in enumerate(zip(pick["categories"], pick["scope"], strict=True)):
        released = cats.split(";")
        scoped = scope.split(";")
        if advanced(ctx) and i % 2 == 0 and len(scoped) >= 2:
            # cross-table: the authorization was narrower than what went out
            drop = released[int(rng.integers(0, len(released)))]
            scope = ";".join(c for c in scoped if c != drop)
            details.append(f"authorization scope lacks {drop}")
        else:
            extra = [c for c in general if c not in scoped]
            add = extra[int(rng.integers(0, len(extra)))]
            cats = _add(cats, add)
            details.append(f"released {add} beyond scope")
        cats_new.append(cats)
        scope_new.append(scope)
    d_changes = pl.DataFrame({"disclosure_id": pick["disclosure_id"], "categories": cats_new})
    a_changes = pl.DataFrame({"authorization_id": pick["authorization_id"], "scope": scope_new})
    ctx.tables["disclosures"] = update_rows(ctx.tables["disclosures"], "disclosure_id", d_changes)
    ctx.tables["authorizations"] = update_rows(
        ctx.tables["authorizations"], "authorization_id", a_changes
    )
    return _defects("ROI-004", "disclosures", pick, "disclosure_id", details)


def _exempt_unauthorized(ctx: GenContext, requester: str, purpose: str) -> pl.DataFrame:
    """Released exempt disclosures without an authorization or sensitive category."""
    d = ctx.tables["disclosures"]
    taken = ctx.claimed("disclosures")
    return d.filter(
        pl.col("released_at").is_not_null()
        & (pl.col("requester_type") == requester)
        & (pl.col("purpose") == purpose)
        & pl.col("authorization_id").is_null()
        & ~pl.col("categories").str.contains(f"{PSYCHOTHERAPY}|{PART2}")
        & ~pl.col("disclosure_id").is_in(list(taken))
    ).sort("disclosure_id")


def _sensitive(
    ctx: GenContext, rule: str, rate: float, cat: str, cover: str, exempt: tuple
) -> list[Defect]:
    """ROI-005/006: a sensitive category released without the specific authorization —
    basic: added (to release and scope) under a general authorization; advanced: half on
    an exempt treatment/payment release that carries no authorization at all."""
    rng = ctx.rng("inject:" + rule)
    n = count(rate, _plain(ctx).height)
    n_exempt = n // 2 if advanced(ctx) else 0
    ex = _exempt_unauthorized(ctx, *exempt)
    ex = ex[np.sort(rng.choice(ex.height, size=min(n_exempt, ex.height), replace=False))]
    ctx.claim("disclosures", ex["disclosure_id"].to_list())
    pick = plain_pairs(ctx, rng, n - ex.height, rule[-1])
    d_changes = pl.concat([
        pick.select("disclosure_id", categories=pl.col("categories") + ";" + cat),
        ex.select("disclosure_id", categories=pl.col("categories") + ";" + cat),
    ])  # fmt: skip
    a_changes = pick.select(
        "authorization_id", scope=pl.col("scope") + ";" + cat, **{cover: pl.lit(False)}
    )
    ctx.tables["disclosures"] = update_rows(ctx.tables["disclosures"], "disclosure_id", d_changes)
    ctx.tables["authorizations"] = update_rows(
        ctx.tables["authorizations"], "authorization_id", a_changes
    )
    general = f"{cat} under a general authorization"
    exempt_note = f"{cat} in an exempt {exempt[1]} release without authorization"
    return _defects(rule, "disclosures", pick, "disclosure_id", [general] * pick.height) + _defects(
        rule, "disclosures", ex, "disclosure_id", [exempt_note] * ex.height
    )


@injector("ROI-005", tables=("disclosures", "authorizations"))
def psychotherapy_without_specific(ctx: GenContext, rate: float) -> list[Defect]:
    return _sensitive(ctx, "ROI-005", rate, PSYCHOTHERAPY, "covers_psychotherapy",
                      ("provider", "treatment"))  # fmt: skip


@injector("ROI-006", tables=("disclosures", "authorizations"))
def part2_without_consent(ctx: GenContext, rate: float) -> list[Defect]:
    return _sensitive(ctx, "ROI-006", rate, PART2, "covers_part2", ("insurer", "payment"))


@injector("ROI-007", tables=("disclosures",))
def late_patient_access(ctx: GenContext, rate: float) -> list[Defect]:
    rng = ctx.rng("inject:ROI-007")
    d = ctx.tables["disclosures"]
    taken = ctx.claimed("disclosures")
    pool = d.filter(
        (pl.col("requester_type") == "patient")
        & pl.col("released_at").is_not_null()
        & ~pl.col("disclosure_id").is_in(list(taken))
    ).sort("disclosure_id")
    if pool.height < count(rate, pool.height):  # top up: fresh patient requests
        fresh, _ = fresh_requests(ctx, rng, count(rate, pool.height) - pool.height,
                                  [("patient", "personal")], "7")  # fmt: skip
        ctx.tables["disclosures"] = pl.concat([d, fresh.select(d.columns)], how="vertical_relaxed")
        pool = pl.concat([pool, fresh.select(d.columns)], how="vertical_relaxed")
    n = min(count(rate, pool.height), pool.height)
    pick = pool[np.sort(rng.choice(pool.height, size=n, replace=False))]
    ctx.claim("disclosures", pick["disclosure_id"].to_list())
    req = pick["requested_at"].dt.epoch("us").to_numpy()
    released, ext, details = [], [], []
    for i in range(pick.height):
        mode = i % 3
        if advanced(ctx):
            if mode == 0:
                released.append(_ts(req[i] + 30 * DAY + HOUR))
                ext.append(None)
                details.append("fulfilled 30 days + 1 hour after the request")
            elif mode == 1:
                released.append(_ts(req[i] + 60 * DAY + HOUR))
                ext.append(_ts(req[i] + 25 * DAY))
                details.append("extended, fulfilled 60 days + 1 hour after the request")
            else:
                released.append(_ts(req[i] + 45 * DAY))
                ext.append(_ts(req[i] + 31 * DAY))
                details.append("extension noticed on day 31, fulfilled on day 45")
        elif mode == 2:
            released.append(None)
            ext.append(None)
            details.append("never fulfilled")
        else:
            released.append(_ts(req[i] + int(rng.integers(35, 75)) * DAY))
            ext.append(None)
            details.append("fulfilled after more than 30 days without extension")
    changes = pl.DataFrame(
        {"disclosure_id": pick["disclosure_id"], "released_at": released, "extension_noted_at": ext},
        schema_overrides={"released_at": pl.Datetime("us"), "extension_noted_at": pl.Datetime("us")},
    )  # fmt: skip
    ctx.tables["disclosures"] = update_rows(ctx.tables["disclosures"], "disclosure_id", changes)
    return _defects("ROI-007", "disclosures", pick, "disclosure_id", details)
