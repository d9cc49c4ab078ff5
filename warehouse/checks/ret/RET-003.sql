/*---
id: RET-003
title: Record kept past its retention end with no legal hold (over-retention)
family: RET
severity: low
kahn: {category: plausibility, context: validation}
tables: [record_inventory, ref.retention_schedule]
record_table: record_inventory
record_key: record_id
citation: "State retention schedules / AHIMA retention practice (destroy when the retention period ends unless a legal hold applies); HIPAA minimum necessary 45 CFR 164.502(b) — data kept without need is a privacy exposure"
thresholds:
  grace_days: 180   # days after the retention end (or a hold's release) allowed for destruction
description: >
  A record not destroyed at the as-of date although its retention end (same computation as
  RET-001) passed more than grace_days earlier, and no legal hold on the patient is in force
  or was released within grace_days.
---*/
-- the retention end, governing rule and schedule row come from derived.record_retention
SELECT r.record_id AS record_key,
       r.mrn,
       NULL AS user_id,
       'Record ' || r.record_id || ' (' || coalesce(r.record_type, 'unknown type') || ', '
         || coalesce(r.facility_state, '?') || ') still kept '
         || CAST(date_diff('day', CAST(r.retention_end AS DATE), CAST($as_of AS DATE)) AS VARCHAR)
         || ' days after its retention end ' || strftime(r.retention_end, '%Y-%m-%d')
         || ' (' || r.governing_rule || ' rule, ' || r.schedule_state || ' schedule), no legal hold'
         AS message,
       to_json(struct_pack(
         facility_state := r.facility_state,
         schedule_state := r.schedule_state,
         record_type := r.record_type,
         last_activity_at := r.last_activity_at,
         retention_end := r.retention_end,
         governing_rule := r.governing_rule,
         days_past_end := date_diff('day', CAST(r.retention_end AS DATE), CAST($as_of AS DATE)),
         last_hold_released_at := (
             SELECT max(h.released_at) FROM legal_holds h WHERE h.mrn = r.mrn)
       )) AS evidence
FROM derived.record_retention r
WHERE r.destroyed_at IS NULL
  AND NOT r.permanent
  AND $as_of > r.retention_end + $grace_days * INTERVAL 1 DAY
  AND NOT EXISTS (
      SELECT 1 FROM legal_holds h
      WHERE h.mrn = r.mrn
        AND h.started_at <= $as_of
        AND (h.released_at IS NULL OR h.released_at + $grace_days * INTERVAL 1 DAY > $as_of)
  )
