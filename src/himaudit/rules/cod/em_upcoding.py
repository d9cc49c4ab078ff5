"""COD-010 — E/M upcoding pattern: a provider's share of the two highest office-visit levels
against specialty peers (PEPPER-style outlier, with a significance test).

Only established-patient office visits count (99211-99215, ref.em_codes): the 99214/99215
share. A provider with at least ``min_visits`` such visits is flagged when both hold:
- their share is above the ``percentile``-th percentile of their specialty peers' shares, and
- a one-sided binomial test of their level 4-5 count against the pooled rate of the *other*
  peers gives p < ``alpha`` — so ten visits of which eight are level 4 do not flag, while the
  same share over three hundred visits does.
A specialty with fewer than ``min_peers`` other providers in the data has no usable peer
group; its providers are then tested against the expected rate for the specialty in
ref.em_specialty_benchmarks (``default`` when not listed), binomial test only.
Evidence is the provider's level distribution next to the peers' pooled distribution.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

META: dict[str, Any] = {
    "id": "COD-010",
    "title": "E/M upcoding pattern against specialty peers",
    "family": "COD",
    "severity": "medium",
    "kahn": {"category": "plausibility", "context": "validation"},
    "tables": ["procedures", "users"],
    "record_table": "users",
    "record_key": "provider user_id",
    "citation": (
        "CMS PEPPER / OIG reports on E/M coding (OEI-04-10-00180): providers whose share of the "
        "highest E/M levels sits above the peers' 80th-90th percentile"
    ),
    "thresholds": {"percentile": 90, "alpha": 0.001, "min_visits": 30, "min_peers": 5},
    "description": (
        "A provider whose share of level 4-5 office visits is above the given percentile of "
        "their specialty peers and significantly above the peers' pooled rate (one-sided "
        "binomial test), so small volumes do not flag."
    ),
}

_SQL = """
SELECT p.provider_id,
       coalesce(min(u.specialty), 'unknown') AS specialty,
       CAST(e.level AS INTEGER) AS level,
       count(*) AS visits,
       CAST(count_if(e.high_level) AS BIGINT) AS high
FROM procedures p
JOIN ref.em_codes e ON CAST(e.code AS VARCHAR) = trim(p.code) AND e.family = 'office_established'
LEFT JOIN users u ON u.user_id = p.provider_id
WHERE p.provider_id IS NOT NULL
  AND upper(coalesce(p.code_system, 'CPT')) = 'CPT'
GROUP BY p.provider_id, e.level
"""


_BENCH = """
SELECT specialty, sum(CASE WHEN level >= 4 THEN share ELSE 0 END) / nullif(sum(share), 0) AS rate
FROM ref.em_specialty_benchmarks GROUP BY specialty
"""


def _benchmarks(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    return {s: float(r) for s, r in con.execute(_BENCH).fetchall()}


def _levels(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    import polars as pl

    return pl.from_arrow(con.sql(_SQL).to_arrow_table())  # type: ignore[return-value]


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pl.DataFrame:
    import numpy as np
    import polars as pl
    from scipy.stats import binom

    lv = _levels(con)
    cols = {"record_key": pl.String, "mrn": pl.String, "user_id": pl.String,
            "message": pl.String, "evidence": pl.String}  # fmt: skip
    if lv.height == 0:
        return pl.DataFrame(schema=cols)
    # a provider listed under two specialties keeps the first (alphabetical) one
    spec = lv.group_by("provider_id").agg(pl.col("specialty").min())
    lv = lv.drop("specialty").join(spec, on="provider_id")
    prov = lv.group_by("provider_id", "specialty").agg(
        pl.col("visits").sum().alias("n"), pl.col("high").sum().alias("h")
    )
    prov = prov.filter(pl.col("n") >= int(params["min_visits"])).with_columns(
        (pl.col("h") / pl.col("n")).alias("share")
    )
    bench = _benchmarks(con)
    rows = []
    for (specialty,), grp in prov.group_by("specialty", maintain_order=True):
        share = grp["share"].to_numpy().astype(float)
        n, h = grp["n"].to_numpy().astype(np.int64), grp["h"].to_numpy().astype(np.int64)
        if grp.height >= int(params["min_peers"]) + 1:
            cut = float(np.percentile(share, float(params["percentile"])))
            expected = (h.sum() - h) / np.maximum(n.sum() - n, 1)
            above = share > cut
        else:  # no peer group: the specialty's expected rate, significance test only
            rate = bench.get(specialty, bench.get("default", 0.5))
            cut, expected, above = rate, np.full(len(n), rate), share > rate
        pval = binom.sf(h - 1, n, np.clip(expected, 1e-9, 1 - 1e-9))
        for i in np.flatnonzero(above & (pval < float(params["alpha"]))):
            rows.append((grp["provider_id"][int(i)], specialty, int(n[i]), int(h[i]), float(share[i]),
                         cut, float(expected[i]), float(pval[i])))  # fmt: skip
    if not rows:
        return pl.DataFrame(schema=cols)
    return pl.DataFrame([_finding(lv, *r) for r in rows], schema=cols, orient="row")


def _finding(
    lv: pl.DataFrame, pid: str, spec: str, n: int, h: int, share: float, cut: float,
    peer_rate: float, pval: float,
) -> tuple[str, None, str, str, str]:  # fmt: skip
    import polars as pl

    mine = lv.filter(pl.col("provider_id") == pid)
    peers = lv.filter((pl.col("specialty") == spec) & (pl.col("provider_id") != pid))
    dist = {
        str(k): int(v) for k, v in mine.group_by("level").agg(pl.col("visits").sum()).iter_rows()
    }
    tot = max(int(peers["visits"].sum()), 1)
    peer = {
        str(k): round(int(v) / tot, 4)
        for k, v in peers.group_by("level").agg(pl.col("visits").sum()).iter_rows()
    }
    evidence = {
        "specialty": spec, "visits": n, "high_level_visits": h, "high_level_share": round(share, 4),
        "peer_percentile_share": round(cut, 4), "peer_pooled_high_share": round(peer_rate, 4),
        "p_value": pval, "provider_levels": dict(sorted(dist.items())),
        "peer_level_shares": dict(sorted(peer.items())),
    }  # fmt: skip
    msg = (
        f"Provider {pid} ({spec}) billed levels 4-5 on {share:.0%} of {n} office visits; "
        f"peers' {cut:.0%} is the cut-off, pooled {peer_rate:.0%} (p={pval:.1e})"
    )
    return pid, None, pid, msg, json.dumps(evidence)
