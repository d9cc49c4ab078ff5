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
FROM retention r
WHERE r.destroyed_at IS NULL
  AND NOT r.permanent
  AND $as_of > r.retention_end + $grace_days * INTERVAL 1 DAY
  AND NOT EXISTS (
      SELECT 1 FROM legal_holds h
      WHERE h.mrn = r.mrn
        AND h.started_at <= $as_of
        AND (h.released_at IS NULL OR h.released_at + $grace_days * INTERVAL 1 DAY > $as_of)
  )
