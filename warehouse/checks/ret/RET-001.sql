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
WITH patient_birth AS (
    -- one birth date per MRN even if the MPI holds the MRN twice (MPI-001)
    SELECT mrn, max(birth_date) AS birth_date FROM patients GROUP BY mrn
),
scheduled AS (
    -- precedence: state + record type, state + '*', DEFAULT + record type, DEFAULT + '*'
    SELECT r.record_id, r.mrn, r.facility_state, r.record_type, r.last_activity_at,
           r.destroyed_at, pb.birth_date,
           CASE WHEN s1.state IS NOT NULL THEN 1 WHEN s2.state IS NOT NULL THEN 2
                WHEN s3.state IS NOT NULL THEN 3 WHEN s4.state IS NOT NULL THEN 4 END AS level,
           CASE WHEN s1.state IS NOT NULL THEN s1.state WHEN s2.state IS NOT NULL THEN s2.state
                WHEN s3.state IS NOT NULL THEN s3.state ELSE s4.state END AS schedule_state,
           CASE WHEN s1.state IS NOT NULL THEN s1.adult_years WHEN s2.state IS NOT NULL THEN s2.adult_years
                WHEN s3.state IS NOT NULL THEN s3.adult_years ELSE s4.adult_years END AS adult_years,
           CASE WHEN s1.state IS NOT NULL THEN s1.minor_age_of_majority
                WHEN s2.state IS NOT NULL THEN s2.minor_age_of_majority
                WHEN s3.state IS NOT NULL THEN s3.minor_age_of_majority
                ELSE s4.minor_age_of_majority END AS minor_age_of_majority,
           CASE WHEN s1.state IS NOT NULL THEN s1.minor_years_after_majority
                WHEN s2.state IS NOT NULL THEN s2.minor_years_after_majority
                WHEN s3.state IS NOT NULL THEN s3.minor_years_after_majority
                ELSE s4.minor_years_after_majority END AS minor_years_after_majority
    FROM record_inventory r
    LEFT JOIN patient_birth pb ON pb.mrn = r.mrn
    LEFT JOIN ref.retention_schedule s1
           ON s1.state = upper(trim(r.facility_state)) AND s1.record_type = r.record_type
    LEFT JOIN ref.retention_schedule s2
           ON s2.state = upper(trim(r.facility_state)) AND s2.record_type = '*'
    LEFT JOIN ref.retention_schedule s3 ON s3.state = 'DEFAULT' AND s3.record_type = r.record_type
    LEFT JOIN ref.retention_schedule s4 ON s4.state = 'DEFAULT' AND s4.record_type = '*'
),
ends AS (
    SELECT s.*,
           s.last_activity_at + s.adult_years * INTERVAL 1 YEAR AS adult_end,
           -- a birth date after the last activity is implausible (MPI-011): no minor rule
           CASE WHEN CAST(s.birth_date AS TIMESTAMP) <= s.last_activity_at
                THEN CAST(s.birth_date AS TIMESTAMP)
                     + (s.minor_age_of_majority + s.minor_years_after_majority) * INTERVAL 1 YEAR
           END AS minor_end
    FROM scheduled s
    WHERE s.level IS NOT NULL
),
retention AS (
    -- kept until the later of the adult rule and the minor rule ("whichever is later");
    -- a schedule row without adult_years means keep permanently (retention_end NULL)
    SELECT e.*,
           e.adult_years IS NULL AS permanent,
           CASE WHEN e.minor_end IS NOT NULL AND e.minor_end > e.adult_end THEN e.minor_end
                ELSE e.adult_end END AS retention_end,
           CASE WHEN e.adult_years IS NULL THEN 'permanent'
                WHEN e.minor_end IS NOT NULL AND e.minor_end > e.adult_end THEN 'minor'
                ELSE 'adult' END AS governing_rule
    FROM ends e
)
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
FROM retention r
WHERE r.destroyed_at IS NOT NULL
  AND (r.permanent OR r.destroyed_at < r.retention_end)
