"""Clean release-of-information data: ``disclosures`` and their ``authorizations``.

Requests follow a visit (1–365 days after a discharge). Who asks decides what is needed,
mirroring the ROI rules' default thresholds: the patient (right of access, 164.524) and
courts need no authorization, nor do treatment and payment purposes (164.506); everything
else (attorneys, life/disability insurers, research) carries its own signed authorization
with every 164.508(c) element and statement, signed before the release, expiring and (rarely)
revoked only after it, and whose scope covers every released category. Psychotherapy notes
go out only alone under a psychotherapy-specific authorization (164.508(a)(2)); substance-use
(Part 2) records only to the patient or under a Part 2 consent (§2.31). Patient requests are
answered within 30 days, or within 60 after a written extension notice inside the first 30.
A few requests from the last weeks before as-of are still open (not yet due).
"""

from __future__ import annotations

from datetime import datetime, time

import numpy as np
import polars as pl

from himaudit.generate.context import GenContext
from himaudit.generate.registry import table_builder

DAY_S = 86_400
# (requester_type, purpose, share) — share of requests; source: typical hospital ROI logs
# are dominated by patient and payer requests, then attorneys and continuing care.
REQUESTS = (
    ("patient", "personal", 0.34),
    ("attorney", "legal", 0.14),
    ("insurer", "payment", 0.16),
    ("insurer", "insurance", 0.08),
    ("provider", "treatment", 0.18),
    ("provider", "research", 0.04),
    ("court", "legal", 0.06),
)
# Mirrors the ROI-001/ROI-004 default thresholds (exempt_requester_types / exempt_purposes).
EXEMPT_REQUESTERS = frozenset({"patient", "court"})
EXEMPT_PURPOSES = frozenset({"treatment", "payment"})
# General categories and the chance each is part of a release; the bit order is the order
# categories are written in.
GENERAL = (
    ("demographics", 0.35),
    ("diagnoses", 0.55),
    ("medications", 0.35),
    ("labs", 0.4),
    ("imaging", 0.2),
    ("progress_notes", 0.3),
    ("discharge_summary", 0.45),
    ("billing", 0.25),
    ("hiv", 0.01),
    ("mental_health", 0.03),
)
PSYCHOTHERAPY = "psychotherapy_notes"
PART2 = "substance_use"
CATEGORIES = tuple(c for c, _ in GENERAL) + (PSYCHOTHERAPY, PART2)
BIT = {c: 1 << i for i, c in enumerate(CATEGORIES)}
RECIPIENT_PREFIX = {
    "patient": "SELF", "attorney": "LAW", "insurer": "INS", "provider": "PRV", "court": "CRT",
}  # fmt: skip
ELEMENTS = (
    "element_description",
    "element_who_discloses",
    "element_recipient",
    "element_purpose",
    "element_expiration",
    "element_signature_date",
    "statement_right_to_revoke",
    "statement_conditioning",
    "statement_redisclosure",
)


def needs_authorization(requester: pl.Expr, purpose: pl.Expr) -> pl.Expr:
    """True where ROI-001 (default thresholds) requires an authorization."""
    return ~(requester.is_in(list(EXEMPT_REQUESTERS)) | purpose.is_in(list(EXEMPT_PURPOSES)))


def category_string(mask: pl.Expr) -> pl.Expr:
    """';'-joined category names for a bit mask, in CATEGORIES order."""
    parts = [pl.when((mask & BIT[c]) != 0).then(pl.lit(c)) for c in CATEGORIES]
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


def _as_of_s(ctx: GenContext) -> int:
    """as-of midnight as naive epoch seconds (no time zone anywhere in the data)."""
    return int(
        (datetime.combine(ctx.profile.as_of, time.min) - datetime(1970, 1, 1)).total_seconds()
    )


@table_builder("disclosures", after=("patients", "encounters"))
def build_disclosures(ctx: GenContext) -> pl.DataFrame:
    """Disclosures (released and a few still open); their authorizations wait in ctx.meta."""
    rng = ctx.rng("disclosures")
    rate = float(ctx.profile.mix.get("roi_requests_per_patient", 0.08))
    d = _draw(ctx, rng, round(ctx.profile.patients * rate), None, sensitive=True)
    d = pl.concat([d, _open_requests(ctx, rng, _as_of_s(ctx))], how="diagonal_relaxed")
    disclosures, auth = _finish(ctx, rng, d, "D", "AU")
    ctx.meta["roi_authorizations"] = auth
    return disclosures


def fresh_requests(
    ctx: GenContext, rng: np.random.Generator, n: int, kinds: list[tuple[str, str]], tag: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """n new clean released requests of the given (requester, purpose) kinds, no sensitive
    categories, with ids ``D<tag>…`` / ``AU<tag>…`` outside the builder's range (injectors
    top up small pools with these before breaking them)."""
    idx = rng.integers(0, len(kinds), size=n)
    d = _draw(ctx, rng, n, [kinds[i] for i in idx], sensitive=False)
    return _finish(ctx, rng, d, "D" + tag, "AU" + tag)


def _draw(
    ctx: GenContext,
    rng: np.random.Generator,
    n: int,
    kinds: list[tuple[str, str]] | None,
    *,
    sensitive: bool,
) -> pl.DataFrame:
    """Released requests 1–365 days after a discharge (at least 75 days before as-of)."""
    as_of = _as_of_s(ctx)
    enc = ctx.tables["encounters"].select(
        "mrn", dis=pl.col("discharge_at").cast(pl.Datetime("us")).dt.epoch("s")
    )
    enc = enc.filter(pl.col("dis").is_not_null() & (pl.col("dis") <= as_of - 90 * DAY_S))
    n = n if enc.height else 0
    base = enc[rng.integers(0, enc.height, size=n)] if n else enc.head(0)
    req_day = np.minimum(
        base["dis"].to_numpy() // DAY_S + rng.integers(1, 366, size=n), as_of // DAY_S - 75
    )
    requested = req_day * DAY_S + rng.integers(8 * 3600, 17 * 3600, size=n)
    if kinds is None:
        pick = rng.choice(len(REQUESTS), size=n, p=[s for _, _, s in REQUESTS])
        kinds = [REQUESTS[k][:2] for k in pick]
    d = pl.DataFrame(
        {
            "mrn": base["mrn"],
            "requester_type": pl.Series([k[0] for k in kinds], dtype=pl.String),
            "purpose": pl.Series([k[1] for k in kinds], dtype=pl.String),
            "requested": requested,
        }
    )
    return _release_times(_categories(d, rng, sensitive), rng)


def _finish(
    ctx: GenContext, rng: np.random.Generator, d: pl.DataFrame, d_prefix: str, a_prefix: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Ids in request order, recipients, authorizations; contract-shaped disclosures."""
    d = d.sort("requested", "mrn", "requester_type", maintain_order=True)
    width = 9 - len(d_prefix)
    ids = pl.int_range(1, d.height + 1, eager=True).cast(pl.String).str.zfill(width)
    office = pl.Series(rng.integers(1, 1000, size=d.height)).cast(pl.String).str.zfill(4)
    d = d.with_columns(
        disclosure_id=d_prefix + ids,
        recipient=pl.concat_str(
            pl.col("requester_type").replace_strict(RECIPIENT_PREFIX, default="OTH"),
            pl.lit("-"),
            office,
        ),
    )
    auth = _authorizations(d, ctx, rng, _as_of_s(ctx), a_prefix)
    d = d.join(auth.select("disclosure_id", "authorization_id"), on="disclosure_id", how="left")
    disclosures = d.select(
        "disclosure_id", "mrn", "requester_type",
        pl.from_epoch("requested", time_unit="s").alias("requested_at"),
        pl.from_epoch("released", time_unit="s").alias("released_at"),
        "authorization_id", categories=category_string(pl.col("mask")), purpose="purpose",
        recipient="recipient", extension_noted_at=pl.from_epoch("extension", time_unit="s"),
    )  # fmt: skip
    return disclosures, auth


def _categories(d: pl.DataFrame, rng: np.random.Generator, sensitive: bool) -> pl.DataFrame:
    """Category bit masks: general categories; some Part 2 and psychotherapy releases."""
    n = d.height
    mask = np.zeros(n, dtype=np.int64)
    for c, p in GENERAL:
        mask |= np.where(rng.random(n) < p, BIT[c], 0)
    mask = np.where(mask == 0, BIT["diagnoses"], mask)
    req = d["requester_type"].to_numpy()
    needs = d.select(needs_authorization(pl.col("requester_type"), pl.col("purpose"))).to_series()
    needs = needs.to_numpy()
    # psychotherapy notes: alone, only where an authorization is in play anyway
    psych = needs & (rng.random(n) < 0.04) & sensitive
    mask = np.where(psych, BIT[PSYCHOTHERAPY], mask)
    # Part 2 records: to the patient, or under a Part 2 consent (never to courts here)
    part2 = ~psych & (req != "court") & (rng.random(n) < 0.04) & sensitive
    mask = np.where(part2, mask | BIT[PART2], mask)
    return d.with_columns(
        mask=pl.Series(mask),
        psych=pl.Series(psych),
        part2=pl.Series(part2 & (req != "patient")),
        needs=pl.Series(needs),
    )


def _release_times(d: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Non-patient requests within 25 days; patient requests within 30 days, or with an
    extension noticed by day 30 and released between day 30 and day 60."""
    n = d.height
    req = d["requested"].to_numpy()
    patient = (d["requester_type"] == "patient").to_numpy()
    released = req + rng.integers(3600, 25 * DAY_S + 1, size=n)
    released = np.where(patient, req + rng.integers(3600, 30 * DAY_S + 1, size=n), released)
    extended = patient & (rng.random(n) < 0.08)
    ext = req + rng.integers(10 * DAY_S, 30 * DAY_S + 1, size=n)
    released = np.where(
        extended, req + rng.integers(30 * DAY_S + 3600, 60 * DAY_S + 1, n), released
    )
    return d.with_columns(
        released=pl.Series(released),
        extension=pl.Series(np.where(extended, ext, 0)),
    ).with_columns(extension=pl.when(pl.Series(extended)).then(pl.col("extension")))


def _open_requests(ctx: GenContext, rng: np.random.Generator, as_of: int) -> pl.DataFrame:
    """A handful of requests received in the last 25 days, not yet answered (nor due)."""
    pats = ctx.tables["encounters"]["mrn"].unique().sort()
    n = min(pats.len(), max(1, round(ctx.profile.patients * 0.001)))
    mrn = pats.gather(rng.integers(0, pats.len(), size=n)) if n else pats.head(0)
    requested = (as_of // DAY_S - rng.integers(1, 26, size=n)) * DAY_S + rng.integers(
        8 * 3600, 17 * 3600, size=n
    )
    kind = rng.choice(len(REQUESTS), size=n, p=[s for _, _, s in REQUESTS])
    return pl.DataFrame(
        {
            "mrn": mrn,
            "requester_type": pl.Series([REQUESTS[k][0] for k in kind], dtype=pl.String),
            "purpose": pl.Series([REQUESTS[k][1] for k in kind], dtype=pl.String),
            "requested": requested,
            "mask": np.full(n, BIT["diagnoses"], dtype=np.int64),
            "psych": np.zeros(n, dtype=bool),
            "part2": np.zeros(n, dtype=bool),
            "needs": np.zeros(n, dtype=bool),
        }
    )


def _authorizations(
    d: pl.DataFrame, ctx: GenContext, rng: np.random.Generator, as_of: int, prefix: str
) -> pl.DataFrame:
    """One authorization per released disclosure that needs one (or a Part 2 consent)."""
    a = d.filter(pl.col("released").is_not_null() & (pl.col("needs") | pl.col("part2")))
    n = a.height
    signed = a["requested"].to_numpy() - rng.integers(0, 20 * DAY_S, size=n)
    term = rng.choice([180, 365, 730], size=n) * DAY_S
    expires = signed + term
    released = a["released"].to_numpy()
    revoked = released + rng.integers(15 * DAY_S, 400 * DAY_S, size=n)
    is_revoked = (rng.random(n) < 0.04) & (revoked <= as_of)
    extra = np.where(rng.random(n) < 0.3, 1 << rng.integers(0, len(GENERAL), size=n), 0)
    psych = a["psych"].to_numpy()
    scope = np.where(psych, a["mask"].to_numpy(), a["mask"].to_numpy() | extra)
    births = ctx.tables["patients"].group_by("mrn").agg(pl.col("birth_date").max())
    age_days = (
        a.select("mrn")
        .join(births, on="mrn", how="left", maintain_order="left")["birth_date"]
        .cast(pl.Int32)
        .fill_null(0)
        .to_numpy()
    )
    minor = (signed // DAY_S - age_days) < 18 * 365.25
    rep = minor | (rng.random(n) < 0.05)
    ids = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(10 - len(prefix))
    out = pl.DataFrame(
        {
            "authorization_id": prefix + ids,
            "disclosure_id": a["disclosure_id"],
            "mrn": a["mrn"],
            "signed_at": pl.from_epoch(pl.Series(signed), time_unit="s"),
            "signer": pl.Series(np.where(rep, "representative", "patient"), dtype=pl.String),
            "recipient": a["recipient"],
            "purpose": a["purpose"],
            "scope": pl.select(category_string(pl.lit(pl.Series(scope)))).to_series(),
            # an expiry after as-of is recorded as an expiration *event* (e.g. end of the
            # matter): the form carries the element, the date column stays empty
            "expires_at": pl.from_epoch(pl.Series(expires), time_unit="s"),
            "revoked_at": pl.from_epoch(pl.Series(revoked), time_unit="s"),
            "covers_psychotherapy": pl.Series(psych),
            "covers_part2": a["part2"],
            "rep": pl.Series(rep),
            **{e: pl.Series(np.ones(n, dtype=bool)) for e in ELEMENTS},
        }
    )
    return out.with_columns(
        expires_at=pl.when(pl.Series(expires <= as_of)).then(pl.col("expires_at")),
        revoked_at=pl.when(pl.Series(is_revoked)).then(pl.col("revoked_at")),
        # not applicable (NULL) when the patient signs personally
        element_representative_authority=pl.when(pl.col("rep")).then(True),
    ).drop("rep")


@table_builder("authorizations", after=("disclosures",))
def build_authorizations(ctx: GenContext) -> pl.DataFrame:
    return ctx.meta["roi_authorizations"].drop("disclosure_id")
