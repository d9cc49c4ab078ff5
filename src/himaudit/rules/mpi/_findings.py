"""Turn a linkage result into MPI-002 / MPI-003 findings and run-summary figures.

Possible-tier pairs (between the possible and probable thresholds) are *not* findings by
default: they are the manual-review queue, reported as counts in the run summary and in the
AHIMA duplicate error rate. A finding is a claim we want to be right about (precision
>= 0.98 is the project's bar); ``report_possible = true`` adds them as MPI-002 findings
with ``"tier": "possible"`` in the evidence for teams that want the full review list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations
from typing import TYPE_CHECKING, Any

from himaudit.rules.mpi import _model

if TYPE_CHECKING:
    import pyarrow as pa

    from himaudit.rules.mpi._linkage import LinkageResult

# Above this size a cluster is more likely a chain of weak links than one person registered
# 11+ times: report only its direct probable pairs, not every pair it implies.
MAX_FULL_CLUSTER = 10


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    import pyarrow as pa

    cols = ("record_key", "mrn", "user_id", "message", "evidence")
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})


def _levels(pair: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    agree, disagree, missing = {}, {}, []
    for name, labels in _model.gamma_labels().items():
        level = pair.get(name)
        if level is None or level == labels[-1]:
            missing.append(name)
        elif level in _model.DISAGREEING_LABELS:
            disagree[name] = level
        else:
            agree[name] = level
    return agree, disagree, missing


def _clusters(result: LinkageResult) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for mrn, cid in zip(
        result.clusters.column("mrn").to_pylist(),
        result.clusters.column("cluster_id").to_pylist(),
        strict=True,
    ):
        members[cid].append(mrn)
    return {cid: sorted(m) for cid, m in members.items() if len(m) >= 2}


def pair_findings(result: LinkageResult, params: dict[str, Any]) -> pa.Table:
    scored = {(p["mrn_a"], p["mrn_b"]): p for p in result.pairs.to_pylist()}
    rows: list[dict[str, Any]] = []
    emitted: set[tuple[str, str]] = set()
    for members in _clusters(result).values():
        if len(members) <= MAX_FULL_CLUSTER:
            keys = list(combinations(members, 2))
        else:
            keys = [
                k for k in combinations(members, 2) if scored.get(k, {}).get("tier") == "probable"
            ]
        for key in keys:
            rows.append(_pair_row(key, scored.get(key), len(members)))
            emitted.add(key)
    if params.get("report_possible"):
        for key, pair in scored.items():
            if key not in emitted and pair["tier"] == "possible":
                rows.append(_pair_row(key, pair, 0))
    return _table(rows)


def _pair_row(key: tuple[str, str], pair: dict[str, Any] | None, cluster_size: int) -> dict:
    a, b = key
    if pair is None:  # same cluster, never compared directly (linked through a third MRN)
        evidence = {"tier": "probable", "linked": "via_cluster", "cluster_size": cluster_size}
        message = f"MRNs {a} and {b} are linked through other probable duplicates"
    else:
        agree, disagree, missing = _levels(pair)
        tier = pair["tier"] if cluster_size else "possible"
        evidence = {
            "tier": tier,
            "match_probability": round(float(pair["match_probability"]), 6),
            "match_weight": round(float(pair["match_weight"]), 2),
            "agree": agree,
            "disagree": disagree,
            "missing": missing,
            "linked": "direct",
            "cluster_size": cluster_size,
        }
        shown = ", ".join(f"{k} {v}" for k, v in agree.items()) or "nothing"
        message = (
            f"MRNs {a} and {b}: {tier} duplicate (p={pair['match_probability']:.3f}); "
            f"agree: {shown}" + (f"; differ: {', '.join(disagree)}" if disagree else "")
        )
    return {
        "record_key": f"{a}|{b}",
        "mrn": a,
        "message": message,
        "evidence": json.dumps(evidence),
    }


def cluster_findings(result: LinkageResult) -> pa.Table:
    scored = {(p["mrn_a"], p["mrn_b"]): p for p in result.pairs.to_pylist()}
    rows = []
    for members in _clusters(result).values():
        if len(members) < 3:
            continue
        probs = [
            float(scored[k]["match_probability"])
            for k in combinations(members, 2)
            if k in scored and scored[k]["tier"] == "probable"
        ]
        evidence = {
            "mrns": members,
            "cluster_size": len(members),
            "probable_links": len(probs),
            "min_link_probability": round(min(probs), 6) if probs else None,
        }
        rows.append(
            {
                "record_key": "|".join(members),
                "mrn": members[0],
                "message": f"{len(members)} MRNs probably belong to one patient: "
                + ", ".join(members),
                "evidence": json.dumps(evidence),
            }
        )
    return _table(rows)


def summary_figures(result: LinkageResult) -> dict[str, Any]:
    tiers = result.pairs.column("tier").to_pylist() if "tier" in result.pairs.column_names else []
    clusters = _clusters(result)
    rate = result.possible_records / result.records if result.records else 0.0
    figures: dict[str, Any] = {
        "mpi_records": result.records,
        "mpi_duplicate_error_rate": round(rate, 6),
        "mpi_duplicate_error_rate_goal": 0.01,
        "mpi_records_in_possible_duplicate_sets": result.possible_records,
        "mpi_probable_pairs": tiers.count("probable"),
        "mpi_possible_pairs": tiers.count("possible"),
        "mpi_lookalike_pairs": tiers.count("lookalike"),
        "mpi_duplicate_clusters": len(clusters),
        "mpi_duplicate_clusters_3plus": sum(1 for m in clusters.values() if len(m) >= 3),
        "mpi_model": (
            f"trained (u sampled, m by EM on {result.em_blocks} block(s))"
            if result.trained
            else "default priors (MPI too small to train)"
        ),
        "mpi_record_pairs_above_possible": result.comparisons,
    }
    for phase, secs in result.seconds.items():
        figures[f"mpi_linkage_{phase}_seconds"] = round(secs, 2)
    return figures
