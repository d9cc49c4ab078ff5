"""MPI-002: probable duplicate patients (one person, two MRNs), by probabilistic linkage.

One finding per MRN pair inside a probable cluster, keyed ``mrnA|mrnB`` (sorted). Evidence
carries the match probability and, per comparison, the level that matched (``exact``,
``nickname``, ``day_month_swapped`` …) split into agreeing / disagreeing / missing — never
the names, SSNs, addresses or phones themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from himaudit.rules.mpi._linkage import THRESHOLDS

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

META = {
    "id": "MPI-002",
    "title": "Probable duplicate patient (one person, two MRNs)",
    "family": "MPI",
    "severity": "high",
    "kahn": {"category": "plausibility", "context": "validation"},
    "tables": ["patients"],
    "record_table": "patients",
    "record_key": "mrnA|mrnB (sorted)",
    "citation": "AHIMA, Fundamentals for Building a Master Patient Index/EMPI (2010); "
    "Fellegi & Sunter (1969), A Theory for Record Linkage",
    "thresholds": dict(THRESHOLDS),
    "description": "Two MRNs that probably belong to one person: probabilistic matching on "
    "names (nicknames, typos, Soundex), birth date (typos, swapped day/month), sex, SSN and "
    "residence, with parameters estimated from the MPI itself. Pairs below the probable "
    "threshold but above the possible one are counted in the run summary (review tier).",
}


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    from himaudit.rules.mpi._findings import pair_findings
    from himaudit.rules.mpi._linkage import link

    return pair_findings(link(con, params), params)


def summary(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> dict[str, Any]:
    """AHIMA duplicate error rate (records in possible-duplicate sets / all MPI records,
    goal <= 1%), pairs and clusters per tier, and the linkage time per phase."""
    from himaudit.rules.mpi._findings import summary_figures
    from himaudit.rules.mpi._linkage import link

    return summary_figures(link(con, params))
