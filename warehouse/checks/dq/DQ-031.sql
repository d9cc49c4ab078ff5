/*---
id: DQ-031
title: Encounter admitted before the patient was born
family: DQ
severity: high
kahn: {category: plausibility, context: verification}
tables: [encounters, patients]
record_table: encounters
record_key: encounter_id
citation: "Kahn et al. 2016 — temporal plausibility (OHDSI DQD plausibleAfterBirth)"
description: >
  An encounter whose admission is earlier than the patient's birth date (before the birth day
  starts). Either the birth date or the visit date is wrong, or the visit belongs to someone
  else (a possible overlay).
---*/
WITH born AS (
    -- one row per MRN: with a duplicated MRN (MPI-001) flag only if before every birth date
    SELECT mrn, min(birth_date) AS birth_date
    FROM patients
    WHERE birth_date IS NOT NULL
    GROUP BY mrn
)
SELECT e.encounter_id AS record_key,
       e.mrn,
       e.attending_id AS user_id,
       'Encounter ' || e.encounter_id || ' admitted before the patient''s birth date' AS message,
       to_json(struct_pack(admit_at := e.admit_at, birth_date := b.birth_date)) AS evidence
FROM encounters e
JOIN born b ON b.mrn = e.mrn
WHERE e.admit_at < CAST(b.birth_date AS TIMESTAMP)
