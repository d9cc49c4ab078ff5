"""ACC-007 — volume spike: far more distinct patients in a day than the user and peers open.

Bulk snooping or data harvesting shows up as one user-day with many distinct charts. The
baseline is two-fold so that naturally busy roles are not flagged: the user's own busy day
(``own_quantile`` of their distinct patients per active day — clinicians have bursty days,
so a median alone would flag ordinary ED shifts) and the role peers' ``peer_quantile`` of
user-days. A user-day is flagged when it reaches ``own_factor`` × the user's busy day,
``peer_factor`` × the peer quantile, and exceeds the user's median by at least
``min_excess`` patients. With ``min_days`` of history the quantiles are robust to the spike.
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
    },
    "description": (
        "A user-day on which the user opened far more distinct patients' charts than their own "
        "median day and than nearly all user-days of their role peers."
    ),
}

_SQL = """
WITH daily AS (
    SELECT user_id, CAST(accessed_at AS DATE) AS day, count(DISTINCT mrn) AS patients,
           count(*) AS events, min(accessed_at) AS first_at, max(accessed_at) AS last_at
    FROM access_log
    WHERE accessed_at IS NOT NULL AND user_id IS NOT NULL
    GROUP BY user_id, CAST(accessed_at AS DATE)
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
), own AS (
    SELECT user_id, median(patients) AS own_median,
           quantile_cont(patients, $own_quantile) AS own_high, count(*) AS days
    FROM daily GROUP BY user_id HAVING count(*) >= $min_days
), peer AS (
    SELECT coalesce(r.role, '?') AS role, quantile_cont(d.patients, $peer_quantile) AS peer_q
    FROM daily d LEFT JOIN roles r USING (user_id) GROUP BY coalesce(r.role, '?')
)
SELECT d.user_id || ':' || CAST(d.day AS VARCHAR) AS record_key, NULL AS mrn, d.user_id,
       CAST(d.patients AS VARCHAR) || ' distinct patients in one day (usual '
           || CAST(o.own_median AS VARCHAR) || ')' AS message,
       to_json(struct_pack(
           user_id := d.user_id, role := r.role, day := d.day, distinct_patients := d.patients,
           events := d.events, first_access := d.first_at, last_access := d.last_at,
           own_median := o.own_median, own_busy_day := round(o.own_high, 1), active_days := o.days,
           peer_quantile_patients := round(p.peer_q, 1),
           why := 'distinct patients ≥ ' || CAST($own_factor AS VARCHAR)
                  || '× the user''s own busy day and ≥ ' || CAST($peer_factor AS VARCHAR) || '× role peers'
       )) AS evidence
FROM daily d
JOIN own o USING (user_id)
LEFT JOIN roles r USING (user_id)
JOIN peer p ON p.role = coalesce(r.role, '?')
WHERE d.patients >= $own_factor * o.own_high
  AND d.patients >= $peer_factor * p.peer_q
  AND d.patients >= o.own_median + $min_excess
ORDER BY record_key
"""


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    """Findings for user-days with a spike of distinct patients (see module docstring)."""
    names = ("own_factor", "own_quantile", "peer_factor", "peer_quantile", "min_excess", "min_days")
    return con.sql(_SQL, params={k: params[k] for k in names}).to_arrow_table()
