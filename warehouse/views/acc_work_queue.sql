-- audit.acc_work_queue: the privacy officer's access-monitoring queue of the latest scan —
-- one row per investigated user (the finding's user_id), worst first: how many events and
-- user-days each ACC rule flagged, how many distinct patients are concerned, and the first
-- and last flagged moment. Severity rank: critical 5 .. info 1. No names or addresses; the
-- evidence of each finding stays in audit.findings (filter by user_id to open the case).
CREATE OR REPLACE VIEW audit.acc_work_queue AS
WITH latest AS (
    SELECT run_id FROM audit.runs
    WHERE started_at = (SELECT max(started_at) FROM audit.runs)
),
items AS (
    SELECT f.run_id, coalesce(f.user_id, 'unknown') AS user_id, f.rule_id, f.severity, f.mrn,
           f.record_key,
           coalesce(try_cast(json_extract_string(f.evidence, '$.accessed_at') AS TIMESTAMP),
                    try_cast(json_extract_string(f.evidence, '$.day') AS TIMESTAMP)) AS flagged_at,
           CASE f.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
                           WHEN 'low' THEN 2 ELSE 1 END AS severity_rank
    FROM audit.findings f
    JOIN latest l ON l.run_id = f.run_id
    WHERE f.family = 'ACC'
)
SELECT i.run_id,
       i.user_id,
       u.role,
       u.department,
       u.terminated_at,
       count(*) AS findings,
       max(i.severity_rank) AS worst_severity_rank,
       count(DISTINCT i.mrn) AS patients,
       count_if(i.rule_id = 'ACC-001') AS outside_employment,
       count_if(i.rule_id = 'ACC-002') AS self_access,
       count_if(i.rule_id = 'ACC-003') AS family_access,
       count_if(i.rule_id = 'ACC-004') AS vip_access,
       count_if(i.rule_id = 'ACC-005') AS unexplained_access,
       count_if(i.rule_id = 'ACC-006') AS after_hours,
       count_if(i.rule_id = 'ACC-007') AS volume_spike_days,
       count_if(i.rule_id = 'ACC-008') AS print_burst_days,
       count_if(i.rule_id = 'ACC-009') AS btg_without_reason,
       min(i.flagged_at) AS first_flagged_at,
       max(i.flagged_at) AS last_flagged_at
FROM items i
LEFT JOIN (SELECT user_id, min(role) AS role, min(department) AS department,
                  max(terminated_at) AS terminated_at
           FROM users GROUP BY user_id) u ON u.user_id = i.user_id
GROUP BY i.run_id, i.user_id, u.role, u.department, u.terminated_at
ORDER BY worst_severity_rank DESC, findings DESC, i.user_id
