/*---
id: DQ-013
title: Access event by a user who is not in the workforce roster
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [access_log, users]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(b) audit controls; Kahn et al. 2016 — relational conformance"
description: >
  An EHR audit-trail event whose user_id is not in the HR roster: the access cannot be tied
  to a workforce member, so privacy monitoring cannot judge it (shared or vendor account?).
---*/
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       'Access event ' || a.event_id || ' by user ' || a.user_id
         || ', who is not in the workforce roster' AS message,
       to_json(struct_pack(action := a.action, accessed_at := a.accessed_at)) AS evidence
FROM access_log a
WHERE a.user_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = a.user_id)
