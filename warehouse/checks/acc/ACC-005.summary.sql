-- Run figure for ACC-005: the share of access events explained by a treatment relationship
-- (care team / attending within ± window_days) or, for operational roles, by an encounter
-- within ± purpose_days — the figure Maize-style monitoring tools report (> 94% typical).
WITH links AS (
    SELECT ct.user_id, e.mrn, e.admit_at, coalesce(e.discharge_at, $as_of) AS discharge_at
    FROM care_team ct JOIN encounters e ON e.encounter_id = ct.encounter_id
    UNION ALL
    SELECT e.attending_id AS user_id, e.mrn, e.admit_at, coalesce(e.discharge_at, $as_of) AS discharge_at
    FROM encounters e WHERE e.attending_id IS NOT NULL
), tagged AS (
    SELECT a.event_id,
           EXISTS (SELECT 1 FROM links l
                   WHERE l.user_id = a.user_id AND l.mrn = a.mrn
                     AND a.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
                     AND a.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY)
           OR (lower(u.role) IN ('him', 'billing', 'registration', 'it')
               AND EXISTS (SELECT 1 FROM encounters e
                           WHERE e.mrn = a.mrn
                             AND a.accessed_at >= e.admit_at - $purpose_days * INTERVAL 1 DAY
                             AND a.accessed_at <= coalesce(e.discharge_at, $as_of) + $purpose_days * INTERVAL 1 DAY)) AS explained
    FROM access_log a
    LEFT JOIN users u ON u.user_id = a.user_id
)
SELECT count(*) AS access_events,
       count_if(explained) AS explained_accesses,
       round(count_if(explained) / nullif(count(*), 0), 4) AS access_explained_share
FROM tagged
