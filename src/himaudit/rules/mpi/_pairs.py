"""From Splink's record-pair predictions to MRN pairs, tiers and probable clusters.

* Pairs are per MRN pair (a person's MRN may sit on two rows — MPI-001 — so several record
  pairs can describe one MRN pair; the strongest one speaks for it).
* Tiers: ``probable`` (>= probable threshold) is a finding; ``possible`` (>= possible
  threshold) is the review tier, counted in the AHIMA duplicate-rate figure.
* Hard-negative guards (``guard_hard_negatives``): the model weighs every comparison, but
  some combinations are the signature of two different people in one family, and telling
  them apart needs a human with the chart. Such a pair gets tier ``lookalike`` (reported
  as a count, never a finding, and not counted as a duplicate in the AHIMA rate):
  - both SSNs on file and different beyond one keystroke (a relative's SSN, a conflict);
  - no exact SSN agreement and given names that differ or are merely similar (twins and
    siblings: Mason/Jason, Ava/Eva, Jaden/Jaylen);
  - no exact SSN agreement and birth dates a generation apart (junior/senior);
  - no exact SSN agreement, a different sex and given names that are not the same name
    or a nickname of it (boy/girl twins: Daniel/Daniela).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from himaudit.rules.mpi import _model

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def _label_sql(name: str) -> str:
    cases = " ".join(
        f"WHEN {g} THEN '{label}'" for g, label in sorted(_model.gamma_labels()[name].items())
    )
    return f"CASE gamma_{name} {cases} END AS {name}"


def build_pair_table(
    work: duckdb.DuckDBPyConnection, predictions: str, opts: dict[str, Any]
) -> int:
    """Create ``mpi_pairs`` (one row per MRN pair, possible tier and above); return the
    number of scored record pairs above the possible threshold."""
    labels = ", ".join(_label_sql(name) for name in _model.COMPARISONS)
    probable = float(opts["probable_probability"])
    guard = bool(opts["guard_hard_negatives"])
    weak = "(" + ", ".join(f"'{w}'" for w in _model.WEAK_GIVEN_NAME) + ")"
    work.execute(
        f"""
        CREATE OR REPLACE TABLE mpi_pairs AS
        WITH scored AS (
            SELECT least(mrn_l, mrn_r) AS mrn_a, greatest(mrn_l, mrn_r) AS mrn_b,
                   match_probability, match_weight, {labels}
            FROM {predictions}
            WHERE mrn_l <> mrn_r
        ), best AS (
            SELECT * FROM scored
            QUALIFY row_number() OVER (PARTITION BY mrn_a, mrn_b
                                       ORDER BY match_weight DESC) = 1
        )
        SELECT *,
               CASE WHEN {guard} AND (
                             ssn = 'different'
                             OR (ssn IS DISTINCT FROM 'exact'
                                 AND (first_name IN {weak}
                                      OR birth_date = 'generation_apart'
                                      OR (sex = 'different'
                                          AND first_name NOT IN ('exact', 'nickname')))))
                    THEN 'lookalike'
                    WHEN match_probability >= {probable} THEN 'probable'
                    ELSE 'possible' END AS tier
        FROM best
        """
    )
    return int(work.execute(f"SELECT count(*) FROM {predictions}").fetchall()[0][0])


def cluster(work: duckdb.DuckDBPyConnection, db: Any) -> pa.Table:
    """Connected components over probable MRN pairs (Splink's clustering); returns
    mrn, cluster_id, cluster_size for MRNs in clusters of two or more."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    work.execute(
        "CREATE OR REPLACE TABLE mpi_edges AS SELECT mrn_a, mrn_b, match_probability "
        "FROM mpi_pairs WHERE tier = 'probable'"
    )
    work.execute(
        "CREATE OR REPLACE TABLE mpi_nodes AS SELECT mrn_a AS mrn FROM mpi_edges "
        "UNION SELECT mrn_b FROM mpi_edges"
    )
    if not work.execute("SELECT count(*) FROM mpi_edges").fetchall()[0][0]:
        return work.sql(
            "SELECT mrn, mrn AS cluster_id, CAST(0 AS BIGINT) AS cluster_size FROM mpi_nodes"
        ).to_arrow_table()
    cc = cluster_pairwise_predictions_at_threshold(
        "mpi_nodes",
        "mpi_edges",
        db_api=db,
        node_id_column_name="mrn",
        edge_id_column_name_left="mrn_a",
        edge_id_column_name_right="mrn_b",
    )
    return work.sql(
        f"""
        SELECT mrn, cluster_id, count(*) OVER (PARTITION BY cluster_id) AS cluster_size
        FROM {cc.physical_name}
        ORDER BY cluster_id, mrn
        """
    ).to_arrow_table()
