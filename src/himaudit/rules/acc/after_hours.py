"""ACC-006 — after-hours access outside the user's own learned working pattern.

There is no fixed clock window: a night-shift nurse charting at 03:00 is normal, a day-shift
clerk opening a chart at 03:00 is not. For every user with enough history we learn the centre
of their working day (circular mean of access times, so a shift crossing midnight works) and
how far from that centre their accesses normally fall (the ``spread_quantile`` of the
circular distance). An access is flagged when it lies more than ``tolerance_hours`` beyond
that spread *and* falls in a clock hour the user almost never works (fewer than
``rare_hour_share`` of their accesses, and fewer than 2) more than ``gap_hours`` away from
every hour they work regularly — so a genuine second shift pattern, which fills its hours,
is not mistaken for snooping, and small samples do not make the edge of a shift look odd.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

META: dict[str, Any] = {
    "id": "ACC-006",
    "title": "After-hours access outside the user's own working pattern",
    "family": "ACC",
    "severity": "medium",
    "kahn": {"category": "plausibility", "context": "validation"},
    "tables": ["access_log", "users"],
    "record_table": "access_log",
    "record_key": "event_id",
    "citation": "45 CFR 164.308(a)(1)(ii)(D) information system activity review; 164.312(b)",
    "thresholds": {
        "min_events": 40,
        "spread_quantile": 0.9,
        "tolerance_hours": 1.0,
        "gap_hours": 2,
        "rare_hour_share": 0.02,
    },
    "description": (
        "An access at a time of day far outside the user's own usual pattern, learned from "
        "that user's history (centre of their working hours and normal spread), in an hour "
        "they almost never work. Users with fewer than min_events accesses are not judged."
    ),
}

_SQL = """
WITH ev AS (
    SELECT event_id, user_id, mrn, accessed_at, action, workstation,
           extract(hour FROM accessed_at) AS hr,
           extract(hour FROM accessed_at) + extract(minute FROM accessed_at) / 60.0 AS h
    FROM access_log
    WHERE accessed_at IS NOT NULL AND user_id IS NOT NULL
), centre AS (
    SELECT user_id, count(*) AS n,
           (degrees(atan2(avg(sin(radians(h * 15))), avg(cos(radians(h * 15))))) / 15 + 24) % 24
               AS centre_h
    FROM ev GROUP BY user_id HAVING count(*) >= $min_events
), hours AS (
    SELECT ev.user_id, ev.hr, count(*) AS hour_events, max(c.n) AS n
    FROM ev JOIN centre c USING (user_id) GROUP BY ev.user_id, ev.hr
), gaps AS (
    -- hours from each worked hour to the nearest hour the user works regularly
    SELECT h.user_id, h.hr, h.hour_events,
           min(least(abs(h.hr - u.hr), 24 - abs(h.hr - u.hr))) AS gap_hours
    FROM hours h
    JOIN hours u ON u.user_id = h.user_id AND u.hour_events >= greatest(2, $rare_hour_share * u.n)
    GROUP BY h.user_id, h.hr, h.hour_events
), dist AS (
    SELECT ev.*, c.n, c.centre_h, g.hour_events, g.gap_hours,
           least(abs(ev.h - c.centre_h), 24 - abs(ev.h - c.centre_h)) AS d
    FROM ev
    JOIN centre c USING (user_id)
    JOIN gaps g USING (user_id, hr)
), spread AS (
    SELECT user_id, quantile_cont(d, $spread_quantile) AS usual_spread FROM dist GROUP BY user_id
)
SELECT d.event_id AS record_key, d.mrn, d.user_id,
       'Access at ' || strftime(d.accessed_at, '%H:%M') || ', outside the user''s usual hours'
           AS message,
       to_json(struct_pack(
           user_id := d.user_id, role := u.role, mrn := d.mrn, accessed_at := d.accessed_at,
           action := d.action, workstation := d.workstation,
           usual_centre_hour := round(d.centre_h, 1), usual_spread_hours := round(s.usual_spread, 1),
           hours_from_centre := round(d.d, 1), hours_from_nearest_usual_hour := d.gap_hours,
           user_events := d.n, user_events_in_this_hour := d.hour_events,
           why := 'in an hour the user rarely works, ' || CAST(d.gap_hours AS VARCHAR)
                  || ' h from their regular hours and beyond their usual spread'
       )) AS evidence
FROM dist d
JOIN spread s USING (user_id)
LEFT JOIN (SELECT user_id, min(role) AS role FROM users GROUP BY user_id) u USING (user_id)
WHERE d.hour_events < greatest(2, $rare_hour_share * d.n)
  AND d.gap_hours > $gap_hours
  AND d.d > s.usual_spread + $tolerance_hours
ORDER BY d.event_id
"""


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    """Findings for accesses outside each user's learned pattern (see module docstring)."""
    names = ("min_events", "spread_quantile", "tolerance_hours", "gap_hours", "rare_hour_share")
    return con.sql(_SQL, params={k: params[k] for k in names}).to_arrow_table()
