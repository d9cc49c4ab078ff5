/*---
id: ACC-001
title: Record accessed by a terminated or not-yet-hired user
family: ACC
severity: critical
kahn: {category: plausibility, context: validation}
tables: [access_log, users]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.308(a)(3)(ii)(C) — terminate access when employment ends; 164.312(b) audit controls"
description: >
  An EHR access event whose time falls at or after the user's termination in the HR roster,
  or before the user's hire date: the account should not have been usable.
---*/
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       CASE WHEN a.accessed_at < u.hired_at THEN 'Chart accessed before the user was hired'
            ELSE 'Chart accessed after the user was terminated' END AS message,
       to_json(struct_pack(
           user_id := a.user_id, role := u.role, mrn := a.mrn, accessed_at := a.accessed_at,
           action := a.action, workstation := a.workstation,
           hired_at := u.hired_at, terminated_at := u.terminated_at,
           why := CASE WHEN a.accessed_at < u.hired_at
                       THEN 'access ' || CAST(date_diff('day', CAST(a.accessed_at AS DATE), CAST(u.hired_at AS DATE)) AS VARCHAR) || ' day(s) before hire'
                       ELSE 'access ' || CAST(date_diff('day', CAST(u.terminated_at AS DATE), CAST(a.accessed_at AS DATE)) AS VARCHAR) || ' day(s) after termination' END
       )) AS evidence
FROM access_log a
JOIN users u ON u.user_id = a.user_id
WHERE a.accessed_at >= u.terminated_at
   OR a.accessed_at < u.hired_at
