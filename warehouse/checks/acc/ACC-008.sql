/*---
id: ACC-008
title: Print/export burst — many charts printed or exported by one user in a day
family: ACC
severity: high
kahn: {category: plausibility, context: validation}
tables: [access_log, users]
record_table: access_log
record_key: user_id:YYYY-MM-DD
citation: "45 CFR 164.312(b) audit controls; 164.308(a)(1)(ii)(D) activity review; 164.502(b) minimum necessary"
thresholds:
  min_outputs: 10
  own_factor: 5
  lookback_days: 365
description: >
  A user-day with at least min_outputs print or export actions and at least own_factor
  times the user's average print/export count on their other working days — paper or files
  leaving the EHR in bulk. Like a periodic monitoring review, only the lookback_days before
  as_of are judged and serve as the baseline.
---*/
-- The window keeps the cost flat as years of audit log accumulate (one year is about a
-- tenth of the 18.8M events of the large profile).
WITH daily AS (
    SELECT user_id, CAST(accessed_at AS DATE) AS day,
           count_if(action IN ('print', 'export')) AS outputs,
           count(DISTINCT CASE WHEN action IN ('print', 'export') THEN mrn END) AS output_patients,
           count_if(action = 'export') AS exports,
           min(CASE WHEN action IN ('print', 'export') THEN accessed_at END) AS first_output,
           max(CASE WHEN action IN ('print', 'export') THEN accessed_at END) AS last_output
    FROM access_log
    WHERE accessed_at >= $as_of - $lookback_days * INTERVAL 1 DAY AND accessed_at < $as_of
      AND user_id IS NOT NULL
    GROUP BY user_id, CAST(accessed_at AS DATE)
), base AS (
    SELECT user_id, sum(outputs) AS total_outputs, count(*) AS active_days
    FROM daily GROUP BY user_id
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
)
SELECT d.user_id || ':' || CAST(d.day AS VARCHAR) AS record_key,
       NULL AS mrn,
       d.user_id,
       CAST(d.outputs AS VARCHAR) || ' prints/exports in one day' AS message,
       to_json(struct_pack(
           user_id := d.user_id, role := r.role, day := d.day, outputs := d.outputs,
           exports := d.exports, patients := d.output_patients,
           first_output := d.first_output, last_output := d.last_output,
           usual_outputs_per_day := round(coalesce((b.total_outputs - d.outputs) / nullif(b.active_days - 1, 0), 0), 2),
           why := 'at least ' || CAST($min_outputs AS VARCHAR) || ' outputs and '
                  || CAST($own_factor AS VARCHAR) || '× the user''s usual daily outputs'
       )) AS evidence
FROM daily d
JOIN base b ON b.user_id = d.user_id
LEFT JOIN roles r ON r.user_id = d.user_id
WHERE d.outputs >= $min_outputs
  AND d.outputs >= $own_factor * coalesce((b.total_outputs - d.outputs) / nullif(b.active_days - 1, 0), 0)
