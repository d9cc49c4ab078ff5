-- Run figure for ACC-005: the share of access events explained by a treatment relationship
-- (care team / attending within ± window_days) or, for operational roles, by an encounter
-- within ± purpose_days — the figure Maize-style monitoring tools report (> 94% typical).
WITH links AS (
    SELECT user_id, mrn, admit_at, coalesce(discharge_at, $as_of) AS discharge_at
    FROM derived.treatment_links
), untreated AS (
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at
    FROM access_log a
    ANTI JOIN links l
      ON l.user_id = a.user_id AND l.mrn = a.mrn
     AND a.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
     AND a.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY
), unexplained AS (
    SELECT x.event_id
    FROM untreated x
    LEFT JOIN users u ON u.user_id = x.user_id
    ANTI JOIN encounters e
      ON e.mrn = x.mrn
     AND lower(u.role) IN ('him', 'billing', 'registration', 'it')
     AND x.accessed_at >= e.admit_at - $purpose_days * INTERVAL 1 DAY
     AND x.accessed_at <= coalesce(e.discharge_at, $as_of) + $purpose_days * INTERVAL 1 DAY
), totals AS (
    SELECT (SELECT count(*) FROM access_log) AS access_events,
           (SELECT count(*) FROM unexplained) AS unexplained
)
SELECT access_events,
       access_events - unexplained AS explained_accesses,
       round((access_events - unexplained) / nullif(access_events, 0), 4) AS access_explained_share
FROM totals
