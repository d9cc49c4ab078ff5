/*---
id: DQ-032
title: Encounter admitted after the patient's death
family: DQ
severity: high
kahn: {category: plausibility, context: verification}
tables: [encounters, patients]
record_table: encounters
record_key: encounter_id
citation: "Kahn et al. 2016 — temporal plausibility (OHDSI DQD plausibleBeforeDeath)"
description: >
  An encounter admitted on a day after the patient's recorded death date (same-day admission
  is allowed: patients are admitted on the day they die). A wrong death date or an overlay.
---*/
WITH died AS (
    -- one row per MRN; with a duplicated MRN flag only when every row records a death
    SELECT mrn, max(death_date) AS death_date
    FROM patients
    GROUP BY mrn
    HAVING count(*) = count(death_date)
)
SELECT e.encounter_id AS record_key,
       e.mrn,
       e.attending_id AS user_id,
       'Encounter ' || e.encounter_id || ' admitted after the patient''s death date' AS message,
       to_json(struct_pack(admit_at := e.admit_at, death_date := d.death_date)) AS evidence
FROM encounters e
JOIN died d ON d.mrn = e.mrn
WHERE e.admit_at >= CAST(d.death_date AS TIMESTAMP) + INTERVAL 1 DAY
