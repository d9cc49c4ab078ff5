"""MPI duplicate linkage (MPI-002/003): features, model wiring, sharing, privacy, and
accuracy on a hand-built MPI the generator did not make (tests/data/mpi_handbuilt)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from himaudit.load.warehouse import init_warehouse
from himaudit.rules.mpi import _features, _linkage, _model
from himaudit.scan.registry import list_rules
from himaudit.scan.runner import rule_params, run_rule, run_summary

HANDBUILT = Path(__file__).parent / "data" / "mpi_handbuilt"
COLS = "mrn,first_name,middle_name,last_name,sex,birth_date,ssn,address,city,state,zip,phone"
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def rules():
    return {r.id: r for r in list_rules(gx=False) if r.family == "MPI"}


@pytest.fixture(scope="module")
def handbuilt() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    init_warehouse(con, reference=False)
    for name in ("background.csv", "cases.csv"):
        con.execute(
            f"INSERT INTO patients ({COLS}) SELECT {COLS} "
            f"FROM read_csv('{HANDBUILT / name}', all_varchar = true)"
        )
    return con


def test_soundex_follows_the_standard() -> None:
    assert _features.soundex("ROBERT") == _features.soundex("RUPERT") == "R163"
    assert _features.soundex("ASHCRAFT") == "A261"  # H does not separate equal codes
    assert _features.soundex("TYMCZAK") == "T522"
    assert _features.soundex("LEE") == "L000"


def test_features_treat_placeholders_as_unknown_and_formats_as_equal() -> None:
    import pyarrow as pa

    raw = pa.table(
        {
            "mrn": ["A", "B", "C"],
            "first_name": ["José", "JOSE", "bob"],
            "middle_name": [None, "", "J."],
            "last_name": ["O'Neil", "ONEIL", "De La Cruz"],
            "sex": ["M", "m", "U"],
            "birth_date": pa.array([None, None, None], pa.date32()),
            "ssn": ["000-00-0000", "912-34-5678", "999999999"],
            "address": ["12 Oak Street, Apt 4", "12 OAK ST APT 4", None],
            "city": ["Cary", "CARY", None],
            "zip": ["27511-1234", "27511", "00000"],
            "phone": ["(919) 555-0123", "1-919-555-0123", "000-000-0000"],
        }
    )
    work = duckdb.connect()
    assert _features.build_features(work, raw) == 3
    rows = work.execute(
        "SELECT mrn, first_name, middle_name, last_name, sex, ssn, address, zip, phone, "
        "first_canon FROM mpi_features ORDER BY mrn"
    ).fetchall()
    a, b, c = rows
    assert a[1] == b[1] == "JOSE" and a[3] == b[3] == "ONEIL"
    assert a[5] is None and b[5] == "912345678" and c[5] is None  # placeholder SSNs
    assert a[6] == b[6] == "12 OAK ST APT 4" and a[7] == b[7] == "27511"
    assert a[8] == b[8] == "9195550123" and c[8] is None and c[7] is None
    assert c[4] is None and c[3] == "DELACRUZ" and "ROBERT" in c[9]  # U = unknown sex


def test_gamma_labels_cover_every_level() -> None:
    labels = _model.gamma_labels()
    for name, levels in _model.COMPARISONS.items():
        assert sorted(labels[name]) == list(range(-1, len(levels) - 1))
        assert labels[name][0] == levels[-1][0]  # gamma 0 is the ELSE level


def test_linkage_runs_once_for_both_rules(rules, monkeypatch) -> None:
    calls = []
    real = _linkage.run_linkage
    monkeypatch.setattr(
        _linkage, "run_linkage", lambda raw, opts: calls.append(1) or real(raw, opts)
    )
    _linkage._CACHE.clear()
    con = duckdb.connect()
    init_warehouse(con, reference=False)
    con.execute(
        f"INSERT INTO patients ({COLS}) SELECT {COLS} FROM read_csv('{HANDBUILT / 'cases.csv'}', "
        "all_varchar = true)"
    )
    run_rule(con, rules["MPI-002"], AS_OF)
    run_rule(con, rules["MPI-003"], AS_OF)
    run_summary(con, rules["MPI-002"], rule_params(rules["MPI-002"], AS_OF))
    assert len(calls) == 1
    con.execute("DELETE FROM patients WHERE mrn = 'HC0102'")  # the MPI changed: link again
    run_rule(con, rules["MPI-002"], AS_OF)
    assert len(calls) == 2


def _expected(rule_id: str) -> set[str]:
    with (HANDBUILT / "expected_pairs.csv").open(encoding="utf-8") as fh:
        return {r["record_key"] for r in csv.DictReader(fh) if r["rule_id"] == rule_id}


@pytest.mark.slow
@pytest.mark.parametrize("rule_id", ["MPI-002", "MPI-003"])
def test_handbuilt_mpi_accuracy(rules, handbuilt, rule_id: str) -> None:
    """Duplicates with transpositions, nicknames, maiden/hyphenated names, swapped dates,
    first/middle swaps among twins, juniors, households and look-alike names."""
    got = set(run_rule(handbuilt, rules[rule_id], AS_OF).column("record_key").to_pylist())
    expected = _expected(rule_id)
    tp = len(got & expected)
    precision, recall = tp / max(len(got), 1), tp / len(expected)
    assert precision >= 0.98 and recall >= 0.98, (
        f"{rule_id}: P={precision:.3f} R={recall:.3f}; false: {sorted(got - expected)}, "
        f"missed: {sorted(expected - got)}"
    )


@pytest.mark.slow
def test_findings_carry_no_phi_and_summary_has_the_ahima_rate(rules, handbuilt) -> None:
    res = run_rule(handbuilt, rules["MPI-002"], AS_OF)
    text = " ".join(res.column("message").to_pylist() + res.column("evidence").to_pylist())
    for word in ("Miller", "MILLER", "Robert", "Bob", "911-22-3344", "911223344", "Birchwood"):
        assert word not in text
    ev = json.loads(res.column("evidence").to_pylist()[0])
    assert {"match_probability", "agree", "disagree", "missing", "tier"} <= set(ev)
    figures = run_summary(handbuilt, rules["MPI-002"], rule_params(rules["MPI-002"], AS_OF))
    assert figures["mpi_records"] == 3051 and figures["mpi_model"].startswith("trained")
    # 17 duplicate pairs touch 35 records: the rate is about 35 / 3051
    assert 0.009 <= figures["mpi_duplicate_error_rate"] <= 0.015
    assert figures["mpi_duplicate_clusters_3plus"] == 1
    assert figures["mpi_lookalike_pairs"] > 50  # the background's twins and families


def test_merge_queue_view_proposes_the_survivor_with_more_history() -> None:
    from himaudit.paths import warehouse_dir
    from himaudit.scan.history import ensure_history

    con = duckdb.connect()
    init_warehouse(con, reference=False)
    ensure_history(con)
    con.execute(
        "INSERT INTO patients (mrn, registered_at) VALUES ('A', '2020-01-01'), ('B', '2021-01-01')"
    )
    con.execute(
        "INSERT INTO encounters (encounter_id, mrn, admit_at) VALUES ('E1', 'B', '2022-01-01')"
    )
    con.execute(
        "INSERT INTO audit.runs (run_id, started_at) VALUES ('r0', '2025-01-01'), ('r1', '2026-01-01')"
    )
    con.execute(
        "INSERT INTO audit.findings (run_id, rule_id, severity, family, record_key, mrn, evidence) "
        "VALUES ('r1', 'MPI-002', 'high', 'MPI', 'A|B', 'A', '{\"match_probability\": 0.99}'), "
        "('r1', 'MPI-010', 'critical', 'MPI', 'A', 'A', '{}'), "
        "('r0', 'MPI-002', 'high', 'MPI', 'A|C', 'A', '{}')"
    )
    con.execute((warehouse_dir() / "views" / "mpi_merge_queue.sql").read_text())
    rows = con.execute(
        "SELECT rule_id, record_key, proposed_survivor, encounters_b FROM audit.mpi_merge_queue"
    ).fetchall()
    assert rows == [("MPI-010", "A", None, None), ("MPI-002", "A|B", "B", 1)]
