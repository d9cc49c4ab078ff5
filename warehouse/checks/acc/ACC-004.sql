/*---
id: ACC-004
title: VIP record opened without a treatment relationship
family: ACC
severity: high
kahn: {category: plausibility, context: validation}
tables: [access_log, patients, users, encounters, care_team]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(b) audit controls; 164.502(b) minimum necessary; 164.308(a)(1)(ii)(D) activity review"
thresholds:
  window_days: 7
description: >
  A record flagged VIP/confidential in the MPI was opened by a user who is neither on the
  care team nor the attending of any of the patient's encounters within ± window_days —
  operational staff included, since VIP charts are reviewed on every non-treatment open.
---*/
WITH vip AS (
    SELECT DISTINCT mrn FROM patients WHERE is_vip
), links AS (
    SELECT user_id, mrn, admit_at, coalesce(discharge_at, $as_of) AS discharge_at
    FROM derived.treatment_links
    WHERE mrn IN (SELECT mrn FROM vip)
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
)
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       'VIP record opened with no treatment relationship' AS message,
       to_json(struct_pack(
           user_id := a.user_id, role := r.role, mrn := a.mrn, accessed_at := a.accessed_at,
           action := a.action, workstation := a.workstation,
           why := 'patient is VIP; user has no care-team or attending link within '
                  || CAST($window_days AS VARCHAR) || ' days'
       )) AS evidence
FROM access_log a
JOIN vip v ON v.mrn = a.mrn
LEFT JOIN roles r ON r.user_id = a.user_id
WHERE NOT EXISTS (
    SELECT 1 FROM links l
    WHERE l.user_id = a.user_id AND l.mrn = a.mrn
      AND a.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
      AND a.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY
)
