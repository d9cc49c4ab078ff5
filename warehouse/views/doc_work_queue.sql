-- audit.doc_work_queue: the HIM deficiency work queue of the latest scan — every DOC finding
-- grouped by the provider responsible for completing it (the finding's user_id: author,
-- signer or attending), oldest deficiency first, as sent in provider notifications.
-- `deficiency_since` is when the clock started: note creation for note findings, discharge
-- (else admission) for record-level findings. `provider_open_items` / `provider_oldest_since`
-- repeat per row so a report can group without another query.
CREATE OR REPLACE VIEW audit.doc_work_queue AS
WITH latest AS (
    SELECT run_id, as_of FROM audit.runs
    WHERE started_at = (SELECT max(started_at) FROM audit.runs)
),
items AS (
    SELECT f.run_id,
           coalesce(f.user_id, 'unassigned') AS responsible_provider,
           u.role AS provider_role,
           u.department AS provider_department,
           f.rule_id, f.severity, f.table_name, f.record_key, f.mrn, f.message,
           CASE WHEN f.table_name = 'notes' THEN n.created_at
                ELSE coalesce(e.discharge_at, e.admit_at) END AS deficiency_since,
           l.as_of
    FROM audit.findings f
    JOIN latest l ON l.run_id = f.run_id
    LEFT JOIN (SELECT note_id, min(created_at) AS created_at FROM notes GROUP BY note_id) n
           ON f.table_name = 'notes' AND n.note_id = f.record_key
    LEFT JOIN (SELECT encounter_id, min(admit_at) AS admit_at, max(discharge_at) AS discharge_at
               FROM encounters GROUP BY encounter_id) e
           ON f.table_name = 'encounters' AND e.encounter_id = f.record_key
    LEFT JOIN (SELECT user_id, min(role) AS role, min(department) AS department FROM users GROUP BY user_id) u
           ON u.user_id = f.user_id
    WHERE f.family = 'DOC'
)
SELECT responsible_provider, provider_role, provider_department,
       count(*) OVER (PARTITION BY responsible_provider) AS provider_open_items,
       min(deficiency_since) OVER (PARTITION BY responsible_provider) AS provider_oldest_since,
       rule_id, severity, table_name, record_key, mrn, deficiency_since,
       date_diff('day', CAST(deficiency_since AS DATE), CAST(as_of AS DATE)) AS age_days,
       message, run_id
FROM items
ORDER BY provider_oldest_since NULLS LAST, responsible_provider, deficiency_since NULLS LAST, rule_id, record_key
