/*---
id: ACC-009
title: Break-the-glass access without a reason
family: ACC
severity: high
kahn: {category: completeness, context: verification}
tables: [access_log]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(a)(2)(ii) emergency access procedure; 164.312(b) audit controls"
thresholds:
  min_reason_letters: 3
description: >
  An emergency ("break-the-glass") override with no documented reason: the reason is empty,
  shorter than a few letters, or a placeholder such as n/a, none, unknown or test.
---*/
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       'Break-the-glass override without a documented reason' AS message,
       to_json(struct_pack(
           user_id := a.user_id, role := u.role, mrn := a.mrn, accessed_at := a.accessed_at,
           action := a.action, workstation := a.workstation,
           btg_reason := a.btg_reason,
           why := CASE WHEN a.btg_reason IS NULL THEN 'reason missing'
                       ELSE 'reason is blank or a placeholder' END
       )) AS evidence
FROM access_log a
LEFT JOIN users u ON u.user_id = a.user_id
WHERE a.break_the_glass
  AND (a.btg_reason IS NULL
       OR length(regexp_replace(lower(a.btg_reason), '[^a-z]', '', 'g')) < $min_reason_letters
       OR regexp_replace(lower(a.btg_reason), '[^a-z]', '', 'g')
          IN ('none', 'null', 'unknown', 'test', 'nil', 'reason', 'tbd', 'xxx'))
