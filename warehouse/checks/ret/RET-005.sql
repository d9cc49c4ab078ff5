/*---
id: RET-005
title: Destroyed record accessed or disclosed after its destruction
family: RET
severity: high
kahn: {category: plausibility, context: validation}
tables: [record_inventory]
record_table: "*"
record_key: event_id (access_log) or disclosure_id (disclosures)
citation: "Certificate of destruction (AHIMA): a destroyed record no longer exists; later access or release means the destruction was not carried out or is misrecorded; HIPAA audit controls 45 CFR 164.312(b)"
thresholds:
  record_type: "medical_record"   # the record whose destruction ends legitimate chart access
description: >
  An EHR access event or a released disclosure for a patient after the destruction of the
  patient's medical record, when no medical record of that patient remains undestroyed.
  One finding per access event or disclosure; events dated after the as-of date are left to
  DQ-033.
---*/
WITH destroyed_patient AS (
    SELECT r.mrn,
           max(r.destroyed_at) AS destroyed_at,
           array_to_string(list_sort(list(r.record_id)), ';') AS record_ids
    FROM record_inventory r
    WHERE r.record_type = $record_type
    GROUP BY r.mrn
    HAVING count_if(r.destroyed_at IS NULL) = 0
)
SELECT a.event_id AS record_key,
       'access_log' AS table_name,
       a.mrn,
       a.user_id,
       'Access ' || a.event_id || ' (' || coalesce(a.action, 'unknown action') || ') on '
         || strftime(a.accessed_at, '%Y-%m-%d %H:%M') || ' to a record destroyed '
         || strftime(x.destroyed_at, '%Y-%m-%d %H:%M') AS message,
       to_json(struct_pack(
         accessed_at := a.accessed_at,
         action := a.action,
         workstation := a.workstation,
         destroyed_at := x.destroyed_at,
         destroyed_record_ids := x.record_ids,
         hours_after_destruction := floor((epoch(a.accessed_at) - epoch(x.destroyed_at)) / 3600)
       )) AS evidence
FROM access_log a
JOIN destroyed_patient x ON x.mrn = a.mrn
WHERE a.accessed_at > x.destroyed_at
  AND a.accessed_at <= $as_of   -- a future-dated event is DQ-033's finding, not this one
UNION ALL
SELECT d.disclosure_id AS record_key,
       'disclosures' AS table_name,
       d.mrn,
       NULL AS user_id,
       'Disclosure ' || d.disclosure_id || ' to ' || coalesce(d.requester_type, 'unknown requester')
         || ' released ' || strftime(d.released_at, '%Y-%m-%d %H:%M') || ' from a record destroyed '
         || strftime(x.destroyed_at, '%Y-%m-%d %H:%M') AS message,
       to_json(struct_pack(
         accessed_at := d.released_at,
         action := 'disclosure',
         workstation := NULL,
         destroyed_at := x.destroyed_at,
         destroyed_record_ids := x.record_ids,
         hours_after_destruction := floor((epoch(d.released_at) - epoch(x.destroyed_at)) / 3600)
       )) AS evidence
FROM disclosures d
JOIN destroyed_patient x ON x.mrn = d.mrn
WHERE d.released_at > x.destroyed_at
  AND d.released_at <= $as_of
