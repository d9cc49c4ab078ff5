"""MPI-003: duplicate cluster of three or more MRNs (one person registered 3+ times).

Shares MPI-002's linkage run (cached per MPI). The key is the cluster's sorted MRNs joined
by ``|``; each pair inside the cluster is also an MPI-002 finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from himaudit.rules.mpi._linkage import THRESHOLDS

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

META = {
    "id": "MPI-003",
    "title": "Duplicate cluster of three or more MRNs",
    "family": "MPI",
    "severity": "high",
    "kahn": {"category": "plausibility", "context": "validation"},
    "tables": ["patients"],
    "record_table": "patients",
    "record_key": "sorted MRNs joined by |",
    "citation": "AHIMA, Fundamentals for Building a Master Patient Index/EMPI (2010)",
    "thresholds": dict(THRESHOLDS),
    "description": "Three or more MRNs linked by probable-duplicate pairs (connected "
    "components): one person whose history is split across several records. Use the same "
    "thresholds as MPI-002 so both rules share one linkage run.",
}


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    from himaudit.rules.mpi._findings import cluster_findings
    from himaudit.rules.mpi._linkage import link

    return cluster_findings(link(con, params))
