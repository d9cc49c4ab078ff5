-- One row per record_inventory row that some retention_schedule row governs: when the
-- record may be destroyed (retention_end), by which rule and which schedule row.
-- Read by RET-001 (destroyed too early) and RET-003 (kept too long); the generator's
-- retention.py repeats this arithmetic on purpose (it plants defects at the boundary).
CREATE OR REPLACE VIEW derived.record_retention AS
WITH patient_birth AS (
    -- one birth date per MRN even if the MPI holds the MRN twice (MPI-001)
    SELECT mrn, max(birth_date) AS birth_date FROM patients GROUP BY mrn
),
scheduled AS (
    -- precedence: state + record type, state + '*', DEFAULT + record type, DEFAULT + '*';
    -- coalesce(s1.state, ...) picks the first schedule row that matched
    SELECT r.record_id, r.mrn, r.facility_state, r.record_type, r.last_activity_at,
           r.destroyed_at, pb.birth_date,
           coalesce(s1.state, s2.state, s3.state, s4.state) AS schedule_state,
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
    SELECT s.record_id, s.mrn, s.facility_state, s.record_type, s.last_activity_at,
           s.destroyed_at, s.birth_date, s.schedule_state, s.adult_years,
           s.minor_age_of_majority, s.minor_years_after_majority,
           s.last_activity_at + s.adult_years * INTERVAL 1 YEAR AS adult_end,
           -- a birth date after the last activity is implausible (MPI-011): no minor rule
           CASE WHEN CAST(s.birth_date AS TIMESTAMP) <= s.last_activity_at
                THEN CAST(s.birth_date AS TIMESTAMP)
                     + (s.minor_age_of_majority + s.minor_years_after_majority) * INTERVAL 1 YEAR
           END AS minor_end
    FROM scheduled s
    WHERE s.schedule_state IS NOT NULL
)
-- kept until the later of the adult rule and the minor rule ("whichever is later");
-- a schedule row without adult_years means keep permanently (retention_end NULL)
SELECT e.record_id, e.mrn, e.facility_state, e.record_type, e.last_activity_at,
       e.destroyed_at, e.birth_date, e.schedule_state, e.adult_years,
       e.minor_age_of_majority, e.minor_years_after_majority, e.adult_end, e.minor_end,
       e.adult_years IS NULL AS permanent,
       CASE WHEN e.minor_end IS NOT NULL AND e.minor_end > e.adult_end THEN e.minor_end
            ELSE e.adult_end END AS retention_end,
       CASE WHEN e.adult_years IS NULL THEN 'permanent'
            WHEN e.minor_end IS NOT NULL AND e.minor_end > e.adult_end THEN 'minor'
            ELSE 'adult' END AS governing_rule
FROM ends e
