"""audit.acc_work_queue: one row per investigated user of the latest run, worst first."""

from __future__ import annotations

import duckdb

from himaudit.load.warehouse import init_warehouse
from himaudit.paths import warehouse_dir
from himaudit.scan.history import ensure_history


def test_acc_work_queue_groups_latest_run_by_user_worst_first() -> None:
    con = duckdb.connect()
    init_warehouse(con, reference=False)
    ensure_history(con)
    con.execute(
        "INSERT INTO audit.runs (run_id, started_at) VALUES "
        "('old', TIMESTAMP '2025-01-01 00:00:00'), ('r1', TIMESTAMP '2026-01-01 00:00:00')"
    )
    con.execute("INSERT INTO users (user_id, role, hired_at) VALUES ('U1', 'nurse', NULL)")
    con.execute(
        """INSERT INTO audit.findings VALUES
        ('r1','ACC-002','high','ACC','access_log','A1','M1','U1','m','{"accessed_at":"2025-01-01 10:00:00"}'),
        ('r1','ACC-007','high','ACC','access_log','U1:2025-02-01',NULL,'U1','m','{"day":"2025-02-01"}'),
        ('r1','ACC-001','critical','ACC','access_log','A2','M2','U2','m','{"accessed_at":"2025-03-01 10:00:00"}'),
        ('r1','DOC-001','medium','DOC','notes','N1','M1','U1','m','{}'),
        ('old','ACC-005','medium','ACC','access_log','A9','M9','U9','m','{}')"""
    )
    con.execute((warehouse_dir() / "views" / "acc_work_queue.sql").read_text(encoding="utf-8"))
    rows = con.execute(
        "SELECT user_id, role, findings, worst_severity_rank, self_access, volume_spike_days, "
        "CAST(first_flagged_at AS VARCHAR), CAST(last_flagged_at AS VARCHAR) "
        "FROM audit.acc_work_queue"
    ).fetchall()
    assert rows == [
        ("U2", None, 1, 5, 0, 0, "2025-03-01 10:00:00", "2025-03-01 10:00:00"),
        ("U1", "nurse", 2, 4, 1, 1, "2025-01-01 10:00:00", "2025-02-01 00:00:00"),
    ]
