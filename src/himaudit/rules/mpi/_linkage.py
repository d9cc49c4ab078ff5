"""Run the duplicate-patient linkage once per MPI and share it between MPI-002 and MPI-003.

Splink works in a private in-memory DuckDB connection (``DuckDBAPI(connection=work)``):
its dozens of scratch tables never land in the user's warehouse file, a read-only
warehouse works, and the caller's open transaction (the rule-case harness) is untouched.
Only the MPI columns the model needs cross over, once, as Arrow.

The result is cached by a fingerprint of the MPI's content plus the linkage settings, so
MPI-002 (pairs), MPI-003 (clusters) and the run summary in one scan link only once.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from himaudit.rules.mpi import _features, _model

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

#: Thresholds shared by MPI-002 and MPI-003 (both rules declare the same defaults).
THRESHOLDS: dict[str, Any] = {
    "probable_probability": 0.95,  # a pair at or above is a probable duplicate (finding)
    "possible_probability": 0.50,  # at or above (and below probable): review tier, figures
    "report_possible": False,  # also emit possible-tier pairs as MPI-002 findings
    "guard_hard_negatives": True,  # twins / juniors pattern cannot be 'probable'
    "min_training_records": 2000,  # smaller MPIs use the model's default m/u priors
    "em_max_pairs": 2000000,  # bound on pairs per EM block (time and memory)
    "u_max_pairs": 5000000,  # random pairs sampled for u
    "seed": 42,
}
_LINKAGE_KEYS = tuple(THRESHOLDS)
MIN_EM_PAIRS = 50  # fewer blocked pairs than this cannot inform EM


@dataclass
class LinkageResult:
    records: int
    trained: bool
    pairs: pa.Table  # mrn_a, mrn_b, match_probability, match_weight, tier, <comparison labels>
    clusters: pa.Table  # mrn, cluster_id, cluster_size (probable tier, size >= 2)
    possible_records: int  # records in any probable or possible pair (AHIMA rate numerator)
    seconds: dict[str, float] = field(default_factory=dict)
    comparisons: int = 0
    em_blocks: int = 0  # EM blocks that trained m (0: m priors kept)


_CACHE: dict[tuple, LinkageResult] = {}


def _fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    cols = ", ".join(_features.RAW_COLUMNS)
    row = con.execute(f"SELECT count(*), sum(hash({cols})) FROM patients").fetchall()[0]
    return (int(row[0]), int(row[1] or 0))


def link(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> LinkageResult:
    """The linkage for this connection's MPI (cached)."""
    opts = {k: params.get(k, THRESHOLDS[k]) for k in _LINKAGE_KEYS}
    key = (_fingerprint(con), tuple(sorted(opts.items())))
    if key not in _CACHE:
        _CACHE.clear()  # one MPI at a time: predictions for 1M records are large
        _CACHE[key] = run_linkage(_features.read_patients(con), opts)
    return _CACHE[key]


def run_linkage(
    raw: pa.Table, opts: dict[str, Any], phase_hook: Callable[[str], None] | None = None
) -> LinkageResult:
    """Features -> train (u random sampling, m by EM) -> predict -> cluster.
    ``phase_hook(name)`` is called as each phase starts (the benchmark samples memory)."""
    import duckdb

    work = duckdb.connect()
    splink_log = logging.getLogger("splink")
    old_level = splink_log.level
    splink_log.setLevel(logging.ERROR)  # "level not observed" is expected on clean data
    try:
        return _run(work, raw, {**THRESHOLDS, **opts}, phase_hook or (lambda _name: None))
    finally:
        splink_log.setLevel(old_level)
        work.close()


def _run(
    work: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    opts: dict[str, Any],
    phase: Callable[[str], None],
) -> LinkageResult:
    from splink import DuckDBAPI, Linker
    from splink.internals.exceptions import EMTrainingException

    seconds: dict[str, float] = {}
    phase("features")
    t0 = time.perf_counter()
    n = _features.build_features(work, raw)
    seconds["features"] = time.perf_counter() - t0
    if n < 2:
        return _empty(n, seconds)

    db = DuckDBAPI(connection=work)
    linker = Linker(db.register("mpi_features"), _model.settings(with_priors=True), log_level=None)
    phase("training")
    t0 = time.perf_counter()
    trained = n >= int(opts["min_training_records"])
    em_blocks = 0
    _estimate_prior(linker, n)
    if trained:
        # one chunk, no early stop: the rare levels (SSN one edit, swapped day/month)
        # never reach a count of 100 in random pairs, so probing chunks only costs time
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(opts["u_max_pairs"]),
            seed=int(opts["seed"]),
            num_chunks=1,
            min_count_per_level=None,
        )
        for block, key in _model.EM_BLOCKS:
            if _block_pairs(work, key) < MIN_EM_PAIRS:
                continue  # e.g. no shared SSNs in a clean MPI: keep the priors for this block
            saved = copy.deepcopy(linker._settings_obj)
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block,
                    max_pairs=float(opts["em_max_pairs"]),
                    estimate_without_term_frequencies=True,
                )
            except (ValueError, EMTrainingException):
                # Seen on MPIs without duplicates: no match class to learn, an m value
                # underflows to 0. Splink has by then dropped the blocked comparison from
                # the live settings, so restore them: this block keeps the m priors.
                linker._settings_obj = saved
                continue
            em_blocks += 1
    seconds["training"] = time.perf_counter() - t0

    phase("prediction")
    t0 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=float(opts["possible_probability"]))
    from himaudit.rules.mpi import _pairs

    comparisons = _pairs.build_pair_table(work, pred.physical_name, opts)
    pred.drop_table_from_database_and_remove_from_cache()
    seconds["prediction"] = time.perf_counter() - t0

    phase("clustering")
    t0 = time.perf_counter()
    clusters = _pairs.cluster(work, db)
    seconds["clustering"] = time.perf_counter() - t0
    possible_records = work.execute(
        "WITH p AS (SELECT * FROM mpi_pairs WHERE tier IN ('probable', 'possible')) "
        "SELECT count(*) FROM mpi_features WHERE mrn IN "
        "(SELECT mrn_a FROM p UNION SELECT mrn_b FROM p)"
    ).fetchall()[0][0]
    pairs = work.sql("SELECT * FROM mpi_pairs ORDER BY mrn_a, mrn_b").to_arrow_table()
    phase("done")
    return LinkageResult(
        records=n,
        trained=trained,
        pairs=pairs,
        clusters=clusters,
        possible_records=int(possible_records),
        seconds=seconds,
        comparisons=comparisons,
        em_blocks=em_blocks,
    )


def _block_pairs(work: duckdb.DuckDBPyConnection, column: str) -> int:
    """Record pairs an equality block on ``column`` would produce (without building them)."""
    sql = (
        f"SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) AS c FROM mpi_features "
        f"WHERE {column} IS NOT NULL GROUP BY {column})"
    )
    return int(work.execute(sql).fetchall()[0][0])


def _estimate_prior(linker: Any, n: int) -> None:
    """Prior match rate from near-certain exact agreements; floored so an MPI with no
    duplicates at all (a clean one) still gets a finite, tiny prior rather than zero."""
    # ValueError: more exact matches than the recall allows (tiny MPI): keep the default
    with contextlib.suppress(ValueError):
        linker.training.estimate_probability_two_random_records_match(
            _model.DETERMINISTIC_SQL, recall=_model.DETERMINISTIC_RECALL
        )
    floor = 0.1 / max(n * (n - 1) / 2, 1)
    settings = linker._settings_obj  # no public setter for this one parameter
    prob = settings._probability_two_random_records_match
    settings._probability_two_random_records_match = min(max(prob, floor), 0.5)


def _empty(n: int, seconds: dict[str, float]) -> LinkageResult:
    import pyarrow as pa

    return LinkageResult(
        records=n,
        trained=False,
        pairs=pa.table({"mrn_a": pa.array([], pa.string()), "mrn_b": pa.array([], pa.string())}),
        clusters=pa.table(
            {
                "mrn": pa.array([], pa.string()),
                "cluster_id": pa.array([], pa.string()),
                "cluster_size": pa.array([], pa.int64()),
            }
        ),
        possible_records=0,
        seconds=seconds,
    )
