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

Like a monitoring team's periodic review, only the accesses of the trailing
``lookback_days`` before as_of (default 365) are judged; the pattern is learned from the
user's whole history before as_of, reduced in one pass to 24 hour bins per user (count and
circular sums), so even a small site's rarely-busy users have a baseline and the cost stays
about one scan of the log. The spread quantile, which needs single accesses, is computed
only for the few users with a candidate access.
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
        "lookback_days": 365,
    },
    "description": (
        "An access at a time of day far outside the user's own usual pattern, learned from "
        "that user's history (centre of their working hours and normal spread), in an hour "
        "they almost never work. Only accesses of the lookback_days before as_of are judged; "
        "users with fewer than min_events accesses in their history are not judged."
    ),
}

_SQL = """
WITH hours AS (
    -- the user's whole history before as_of, reduced to 24 hour bins per user (one pass)
    SELECT user_id, extract(hour FROM accessed_at) AS hr, count(*) AS hour_events,
           sum(sin(radians((extract(hour FROM accessed_at) + extract(minute FROM accessed_at) / 60.0) * 15))) AS s,
           sum(cos(radians((extract(hour FROM accessed_at) + extract(minute FROM accessed_at) / 60.0) * 15))) AS c
    FROM access_log
    WHERE accessed_at < $as_of AND user_id IS NOT NULL
    GROUP BY user_id, extract(hour FROM accessed_at)
), centre AS (
    SELECT user_id, sum(hour_events) AS n,
           (degrees(atan2(sum(s) / sum(hour_events), sum(c) / sum(hour_events))) / 15 + 24) % 24
               AS centre_h
    FROM hours GROUP BY user_id HAVING sum(hour_events) >= $min_events
), gaps AS (
    -- hours from each worked hour to the nearest hour the user works regularly
    SELECT h.user_id, h.hr, h.hour_events, c.n, c.centre_h,
           min(least(abs(h.hr - u.hr), 24 - abs(h.hr - u.hr))) AS gap_hours
    FROM hours h
    JOIN centre c ON c.user_id = h.user_id
    JOIN hours u ON u.user_id = h.user_id AND u.hour_events >= greatest(2, $rare_hour_share * c.n)
    GROUP BY h.user_id, h.hr, h.hour_events, c.n, c.centre_h
), rare AS (
    SELECT user_id, hr, hour_events, n, centre_h, gap_hours FROM gaps
    WHERE hour_events < greatest(2, $rare_hour_share * n) AND gap_hours > $gap_hours
), candidates AS (
    -- only accesses of the review window, in a rare hour far from the regular ones
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at, a.action, a.workstation,
           r.n, r.centre_h, r.hour_events, r.gap_hours,
           least(abs(extract(hour FROM a.accessed_at) + extract(minute FROM a.accessed_at) / 60.0 - r.centre_h),
                 24 - abs(extract(hour FROM a.accessed_at) + extract(minute FROM a.accessed_at) / 60.0 - r.centre_h)) AS d
    FROM access_log a
    JOIN rare r ON r.user_id = a.user_id AND r.hr = extract(hour FROM a.accessed_at)
    WHERE a.accessed_at >= $as_of - $lookback_days * INTERVAL 1 DAY AND a.accessed_at < $as_of
), spread AS (
    -- the usual spread around the centre, over the whole history of the few users concerned
    SELECT a.user_id,
           quantile_cont(least(abs(extract(hour FROM a.accessed_at) + extract(minute FROM a.accessed_at) / 60.0 - c.centre_h),
                               24 - abs(extract(hour FROM a.accessed_at) + extract(minute FROM a.accessed_at) / 60.0 - c.centre_h)),
                         $spread_quantile) AS usual_spread
    FROM access_log a
    JOIN centre c ON c.user_id = a.user_id
    WHERE a.accessed_at < $as_of AND a.user_id IN (SELECT user_id FROM candidates)
    GROUP BY a.user_id
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
FROM candidates d
JOIN spread s USING (user_id)
LEFT JOIN (SELECT user_id, min(role) AS role FROM users GROUP BY user_id) u USING (user_id)
WHERE d.d > s.usual_spread + $tolerance_hours
ORDER BY d.event_id
"""


def run(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> pa.Table:
    """Findings for accesses outside each user's learned pattern (see module docstring)."""
    names = ("min_events", "spread_quantile", "tolerance_hours", "gap_hours", "rare_hour_share")
    names += ("lookback_days", "as_of")
    return con.sql(_SQL, params={k: params[k] for k in names}).to_arrow_table()
