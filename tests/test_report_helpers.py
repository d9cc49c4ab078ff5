"""Shared helpers for the report, PHI, demo and browser tests (no tests here): a small
hand-made scan OUTDIR, and one shared `himaudit demo` run per session."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from himaudit.load.warehouse import init_warehouse

# Names and SSNs a test asserts never reach a default (masked) output.
PATIENTS = [
    (
        "M00000001",
        "Jonathan",
        "Quimby",
        "M",
        "1980-03-04",
        "912-34-5678",
        "12 Elm St",
        "555-201-3344",
    ),
    (
        "M00000002",
        "Jonathon",
        "Quimby",
        "M",
        "1980-04-03",
        "912-34-5678",
        "12 Elm Street",
        "555-201-3344",
    ),
    (
        "M00000003",
        "Marisol",
        "Okonkwo",
        "F",
        "1955-07-21",
        "987-65-4321",
        "9 Oak Ave",
        "555-777-1000",
    ),
]
USERS = [
    ("U000001", "Bartholomew", "Featherstone", "physician"),
    ("U000002", "Philippa", "Okonkwo", "nurse"),
]
RUN_ID = "run-test-1"

FINDINGS = [
    (
        "DOC-009",
        "high",
        "DOC",
        "encounters",
        "E000000001",
        "M00000003",
        "U000001",
        "Record delinquent: discharge summary missing 45 days after discharge",
        {"days": 45},
    ),
    (
        "DOC-009",
        "high",
        "DOC",
        "encounters",
        "E000000002",
        "M00000001",
        "U000001",
        "Record delinquent: H&P unsigned",
        {"days": 31},
    ),
    (
        "DOC-001",
        "medium",
        "DOC",
        "notes",
        "N0000000001",
        "M00000001",
        "U000001",
        "Note unsigned",
        {"note_type": "progress"},
    ),
    (
        "ACC-005",
        "medium",
        "ACC",
        "access_log",
        "A00000000001",
        "M00000003",
        "U000002",
        "Access without treatment relationship",
        {"last_name": "Okonkwo", "action": "view"},
    ),
    (
        "ACC-007",
        "high",
        "ACC",
        "access_log",
        "U000002:2026-03-02",
        None,
        "U000002",
        "Volume spike: 80 patients in one day",
        {"patients": 80},
    ),
    (
        "ROI-001",
        "high",
        "ROI",
        "disclosures",
        "D00000001",
        "M00000003",
        None,
        "Disclosure to attorney without authorization",
        {"requester_type": "attorney"},
    ),
    (
        "MPI-002",
        "high",
        "MPI",
        "patients",
        "M00000001|M00000002",
        "M00000001",
        None,
        "Probable duplicate patients (match probability 0.99)",
        {"match_probability": 0.99, "ssn": "912-34-5678", "agreeing": ["ssn", "phone"]},
    ),
]
RULES = [
    ("DOC-001", "DOC", "medium", "failed", 1),
    ("DOC-009", "DOC", "high", "failed", 2),
    ("ACC-005", "ACC", "medium", "failed", 1),
    ("ACC-007", "ACC", "high", "failed", 1),
    ("ROI-001", "ROI", "high", "failed", 1),
    ("MPI-002", "MPI", "high", "failed", 1),
    ("RET-001", "RET", "high", "not_applicable", 0),
    ("COD-001", "COD", "medium", "passed", 0),
]


def make_outdir(outdir: Path) -> Path:
    """Write OUTDIR/warehouse.duckdb and OUTDIR/summary.json holding one scan run."""
    from himaudit.scan.history import ensure_history

    outdir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(outdir / "warehouse.duckdb"))
    try:
        init_warehouse(con, reference=False)
        ensure_history(con)
        for mrn, first, last, sex, dob, ssn, addr, phone in PATIENTS:
            con.execute(
                "INSERT INTO patients (mrn, first_name, last_name, sex, birth_date, ssn, address,"
                " city, state, zip, phone) VALUES (?, ?, ?, ?, ?, ?, ?, 'Springfield', 'NC',"
                " '27501', ?)",
                [mrn, first, last, sex, dob, ssn, addr, phone],
            )
        for uid, first, last, role in USERS:
            con.execute(
                "INSERT INTO users (user_id, first_name, last_name, role, hired_at) "
                "VALUES (?, ?, ?, ?, TIMESTAMP '2020-01-01')",
                [uid, first, last, role],
            )
        con.execute(
            "INSERT INTO access_log (event_id, user_id, mrn, accessed_at, action) VALUES "
            "('A00000000001', 'U000002', 'M00000003', TIMESTAMP '2026-02-10 10:00:00', 'view')"
        )
        for rule, sev, fam, table, key, mrn, uid, msg, ev in FINDINGS:
            con.execute(
                "INSERT INTO audit.findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [RUN_ID, rule, sev, fam, table, key, mrn, uid, msg, json.dumps(ev)],
            )
        for rule, fam, sev, status, n in RULES:
            con.execute(
                "INSERT INTO audit.rule_results (run_id, rule_id, family, severity, kind, status,"
                " findings) VALUES (?, ?, ?, ?, 'sql', ?, ?)",
                [RUN_ID, rule, fam, sev, status, n],
            )
        con.execute(
            "INSERT INTO audit.runs (run_id, started_at, as_of, input) VALUES "
            "(?, TIMESTAMP '2026-06-30 09:00:00', TIMESTAMP '2026-06-30 00:00:00', 'exports/')",
            [RUN_ID],
        )
    finally:
        con.close()
    summary = {
        "run_id": RUN_ID,
        "input": "exports/",
        "as_of": "2026-06-30T00:00:00",
        "figures": {"doc_delinquency_rate": 0.12},
    }
    (outdir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return outdir


_DEMO: dict[Path, DemoRun] = {}


@dataclass(frozen=True)
class DemoRun:
    out: Path
    data_dir: Path
    scan_dir: Path
    report: Path
    output: str  # what `himaudit demo` printed
    seconds: float


def demo_result(base: Path) -> DemoRun:
    """Run ``himaudit demo --out BASE/demo`` through the CLI once per test session: generate
    + scan + report are the slow part, shared by the demo, PHI and browser tests."""
    from typer.testing import CliRunner

    from himaudit.cli import app

    if base not in _DEMO:
        out = base / "demo"
        t0 = time.perf_counter()
        result = CliRunner().invoke(app, ["demo", "--out", str(out)], catch_exceptions=False)
        seconds = time.perf_counter() - t0
        assert result.exit_code == 0, result.output
        report = Path(result.output.rsplit("report: ", 1)[1].strip())
        _DEMO[base] = DemoRun(out, out / "data", out / "scan", report, result.output, seconds)
    return _DEMO[base]
