"""ACC-007 — volume spike: far more distinct patients in a day than the user and peers open.

Bulk snooping or data harvesting shows up as one user-day with many distinct charts. The
baseline is three-fold so that naturally busy roles and busy days are not flagged:

* the user's own busy day (``own_quantile`` of their distinct patients per active day —
  clinicians have bursty days, so a median alone would flag ordinary ED shifts), and at
  least ``min_excess`` patients above their median day;
* the role peers' busy days: ``peer_quantile`` over the peers' own busy days, one value per
  peer, so that a spike or two cannot lift the baseline (on a small site a role has a few
  dozen user-days a year and a quantile over them is the spike itself);
* ``day_factor`` × the role peers' ``day_quantile`` on *that same day*, when at least
  ``min_day_peers`` of them worked it. Hospital volume moves: a Monday admission peak, a
  flu season, a census growing through the year lift every clinician's count on the same
  days. A real spike is one user far above colleagues who worked the same day; a busy
  hospital day is everyone. (On the large profile, 107 physicians/residents were flagged on
  the busiest days of the year without this baseline; 2 users with it.) The quantile is
  lower than the peers' so that two snoopers on one day do not hide each other.

Like a monitoring team's periodic review, the rule learns from and judges only the trailing
``lookback_days`` before as_of (default 365); users with fewer than ``min_days`` active days
in it are not judged. The cost stays that of one year of log, however many years are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

META: dict[str, Any] = {
    "id": "ACC-007",
    "title": "Volume spike: distinct patients per user-day far above own and peer baselines",
    "family": "ACC",
    "severity": "high",
    "kahn": {"category": "plausibility", "context": "validation"},
    "tables": ["access_log", "users"],
    "record_table": "access_log",
    "record_key": "user_id:YYYY-MM-DD",
    "citation": "45 CFR 164.308(a)(1)(ii)(D) information system activity review; 164.312(b)",
    "thresholds": {
        "own_factor": 2.0,
        "own_quantile": 0.9,
        "peer_factor": 1.5,
        "peer_quantile": 0.99,
        "min_excess": 15,
        "min_days": 10,
        "day_quantile": 0.9,
        "day_factor": 3.0,
        "min_day_peers": 10,
        "lookback_days": 365,
    },
    "description": (
        "A user-day on which the user opened far more distinct patients' charts than their own "
        "usual busy day and than nearly all role peers' busy days and colleagues on that same "
        "day. Only the lookback_days before as_of are learned from and judged."
    ),
}

_SQL = """
WITH pairs AS (
    -- distinct (user, day, patient) first, keys only: a two-level count is cheaper than
    -- count(DISTINCT)
    SELECT DISTINCT user_id, CAST(accessed_at AS DATE) AS day, mrn
    FROM access_log
    WHERE accessed_at >= $as_of - $lookback_days * INTERVAL 1 DAY AND accessed_at < $as_of
      AND user_id IS NOT NULL
), daily AS (
    SELECT user_id, day, count(*) AS patients FROM pairs GROUP BY user_id, day
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
), days AS (
    SELECT d.user_id, d.day, d.patients, coalesce(r.role, '?') AS peer_role, r.role
    FROM daily d LEFT JOIN roles r USING (user_id)
), own AS (
    SELECT user_id, median(patients) AS own_median,
           quantile_cont(patients, $own_quantile) AS own_high, count(*) AS days
    FROM daily GROUP BY user_id HAVING count(*) >= $min_days
), peer AS (
    -- one value per peer (their own busy day), so a spike or two cannot lift the baseline
    SELECT coalesce(r.role, '?') AS peer_role, quantile_cont(o.own_high, $peer_quantile) AS peer_q
    FROM own o LEFT JOIN roles r USING (user_id) GROUP BY coalesce(r.role, '?')
), day_peer AS (
    SELECT peer_role, day, quantile_cont(patients, $day_quantile) AS day_q, count(*) AS peers
    FROM days GROUP BY peer_role, day
), flagged AS (
    SELECT d.user_id, d.day, d.role, d.patients, o.own_median, o.own_high, o.days,
           p.peer_q, q.day_q, q.peers
    FROM days d
    JOIN own o USING (user_id)
    JOIN peer p USING (peer_role)
    JOIN day_peer q USING (peer_role, day)
    WHERE d.patients >= $own_factor * o.own_high
      AND d.patients >= $peer_factor * p.peer_q
      AND d.patients >= o.own_median + $min_excess
      AND (q.peers < $min_day_peers OR d.patients >= $day_factor * q.day_q)
), detail AS (
    -- evidence for the few flagged user-days only
    SELECT f.user_id, f.day, count(*) AS events, min(a.accessed_at) AS first_at,
           max(a.accessed_at) AS last_at
    FROM flagged f
    JOIN access_log a ON a.user_id = f.user_id AND CAST(a.accessed_at AS DATE) = f.day
    WHERE a.accessed_at >= $as_of - ($lookback_days + 1) * INTERVAL 1 DAY
      AND a.user_id IN (SELECT user_id FROM flagged)
    GROUP BY f.user_id, f.day
)
SELECT f.user_id || ':' || CAST(f.day AS VARCHAR) AS record_key, NULL AS mrn, f.user_id,
       CAST(f.patients AS VARCHAR) || ' distinct patients in one day (usual '
           || CAST(f.own_median AS VARCHAR) || ')' AS message,
       to_json(struct_pack(
           user_id := f.user_id, role := f.role, day := f.day, distinct_patients := f.patients,
           events := x.events, first_access := x.first_at, last_access := x.last_at,
           own_median := f.own_median, own_busy_day := round(f.own_high, 1), active_days := f.days,
           peer_quantile_patients := round(f.peer_q, 1),
           same_day_peer_quantile_patients := round(f.day_q, 1), same_day_peers := f.peers,
           why := 'distinct patients ≥ ' || CAST($own_factor AS VARCHAR)
                  || '× the user''s own busy day and ≥ ' || CAST($peer_factor AS VARCHAR)
                  || '× role peers (busy days and same day)'
       )) AS evidence
FROM flagged f
JOIN detail x USING (user_id, day)
ORDER BY record_key
"""


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    """Findings for user-days with a spike of distinct patients (see module docstring)."""
    names = ("own_factor", "own_quantile", "peer_factor", "peer_quantile", "min_excess")
    names += ("min_days", "day_quantile", "day_factor", "min_day_peers", "lookback_days", "as_of")
    return con.sql(_SQL, params={k: params[k] for k in names}).to_arrow_table()
