/*---
id: RET-001
title: Record destroyed before its retention period ended
family: RET
severity: critical
kahn: {category: plausibility, context: validation}
tables: [record_inventory, ref.retention_schedule]
record_table: record_inventory
record_key: record_id
citation: "State retention schedules (e.g. FL 7 y; TX 10 y, minors to 20; NC 11 y, minors to 30; NV 5 y, minors to 23; NY 6 y, minors to 21); AHIMA retention practice (adults 10 y) where no state row applies; CMS CoP 42 CFR 482.24(b)(1) (at least 5 years)"
description: >
  A destroyed record whose destruction date falls before its retention end: last activity plus
  the state's adult years, or for a minor the later of that and birth date plus age of majority
  plus the state's extra years. States without a schedule row fall back to the DEFAULT (AHIMA)
  row; a record type scheduled as permanent must never be destroyed.
---*/
-- the retention end, governing rule and schedule row come from derived.record_retention
SELECT r.record_id AS record_key,
       r.mrn,
       NULL AS user_id,
       'Record ' || r.record_id || ' (' || coalesce(r.record_type, 'unknown type') || ', '
         || coalesce(r.facility_state, '?') || ') destroyed ' || strftime(r.destroyed_at, '%Y-%m-%d')
         || CASE WHEN r.permanent THEN ' but its type is kept permanently'
                 ELSE ' before its retention end ' || strftime(r.retention_end, '%Y-%m-%d')
                      || ' (' || r.governing_rule || ' rule, ' || r.schedule_state || ' schedule)' END
         AS message,
       to_json(struct_pack(
         facility_state := r.facility_state,
         schedule_state := r.schedule_state,
         record_type := r.record_type,
         last_activity_at := r.last_activity_at,
         destroyed_at := r.destroyed_at,
         retention_end := r.retention_end,
         governing_rule := r.governing_rule,
         adult_years := r.adult_years,
         minor_age_of_majority := r.minor_age_of_majority,
         minor_years_after_majority := r.minor_years_after_majority,
         days_early := date_diff('day', CAST(r.destroyed_at AS DATE), CAST(r.retention_end AS DATE))
       )) AS evidence
FROM derived.record_retention r
WHERE r.destroyed_at IS NOT NULL
  AND (r.permanent OR r.destroyed_at < r.retention_end)
