-- ROI work queue: one row per release-of-information request with a problem in the latest
-- scan, worst first. Findings on an authorization (ROI-002) are listed on every request
-- that relied on it; an authorization no request used gets a row of its own.
CREATE OR REPLACE VIEW audit.roi_work_queue AS
WITH latest AS (
    SELECT arg_max(run_id, started_at) AS run_id FROM audit.runs
), roi AS (
    SELECT f.rule_id, f.severity, f.table_name, f.record_key, f.mrn, f.message
    FROM audit.findings f JOIN latest l ON f.run_id = l.run_id
    WHERE f.family = 'ROI'
), per_request AS (
    SELECT r.record_key AS disclosure_id, NULL AS authorization_id, r.mrn, r.rule_id,
           r.severity, r.message
    FROM roi r WHERE r.table_name = 'disclosures'
    UNION ALL
    SELECT d.disclosure_id, r.record_key AS authorization_id, r.mrn, r.rule_id, r.severity,
           r.message
    FROM roi r
    LEFT JOIN disclosures d ON d.authorization_id = r.record_key AND d.mrn = r.mrn
    WHERE r.table_name = 'authorizations'
), ranked AS (
    SELECT p.*,
           CASE p.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3
                           WHEN 'low' THEN 2 ELSE 1 END AS severity_rank
    FROM per_request p
)
SELECT r.disclosure_id,
       coalesce(d.authorization_id, max(r.authorization_id)) AS authorization_id,
       r.mrn,
       d.requester_type,
       d.purpose,
       d.requested_at,
       d.released_at,
       d.categories,
       CASE max(r.severity_rank) WHEN 5 THEN 'critical' WHEN 4 THEN 'high' WHEN 3 THEN 'medium'
                                 WHEN 2 THEN 'low' ELSE 'info' END AS worst_severity,
       count(*) AS problems,
       array_to_string(list_sort(list(DISTINCT r.rule_id)), ', ') AS rule_ids,
       array_to_string(list_sort(list(r.rule_id || ': ' || r.message)), ' | ') AS messages
FROM ranked r
LEFT JOIN disclosures d ON d.disclosure_id = r.disclosure_id AND d.mrn = r.mrn
GROUP BY r.disclosure_id, r.mrn, d.authorization_id, d.requester_type, d.purpose,
         d.requested_at, d.released_at, d.categories
ORDER BY max(r.severity_rank) DESC, d.requested_at, r.disclosure_id
