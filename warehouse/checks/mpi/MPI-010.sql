/*---
id: MPI-010
title: Possible overlay — registration identity conflicts with the MPI row
family: MPI
severity: critical
kahn: {category: plausibility, context: validation}
tables: [patients, encounters]
record_table: patients
record_key: mrn
citation: "AHIMA, Fundamentals for Building a Master Patient Index/EMPI (2010) — overlays (two people under one MRN); Joint Commission NPSG.01.01.01 (two identifiers)"
description: >
  An encounter registered under this MRN carries a birth date or sex that differs from the
  MPI row, a sign that a second person's visit was filed under this record (an overlay).
  One finding per MRN; sex is compared only when both sides say F or M.
---*/
WITH conflicts AS (
    SELECT e.mrn,
           e.encounter_id,
           e.reg_birth_date IS NOT NULL AND p.birth_date IS NOT NULL
             AND e.reg_birth_date <> p.birth_date AS birth_conflict,
           e.reg_sex IN ('F', 'M') AND p.sex IN ('F', 'M') AND e.reg_sex <> p.sex AS sex_conflict,
           abs(date_diff('day', p.birth_date, e.reg_birth_date)) AS gap_days
    FROM encounters e
    JOIN patients p ON p.mrn = e.mrn
    -- an MRN with two MPI rows (MPI-001) conflicts only if no row agrees
    WHERE NOT EXISTS (
        SELECT 1 FROM patients q
        WHERE q.mrn = e.mrn
          AND (e.reg_birth_date IS NULL OR q.birth_date IS NULL OR q.birth_date = e.reg_birth_date)
          AND (e.reg_sex IS NULL OR e.reg_sex NOT IN ('F', 'M') OR q.sex IS NULL
               OR q.sex NOT IN ('F', 'M') OR q.sex = e.reg_sex)
    )
)
SELECT c.mrn AS record_key,
       c.mrn,
       NULL AS user_id,
       'MRN ' || c.mrn || ': ' || CAST(count(DISTINCT c.encounter_id) AS VARCHAR)
         || ' encounter(s) registered with a different '
         || CASE WHEN bool_or(c.birth_conflict) AND bool_or(c.sex_conflict) THEN 'birth date and sex'
                 WHEN bool_or(c.birth_conflict) THEN 'birth date' ELSE 'sex' END
         || ' than the MPI row' AS message,
       to_json(struct_pack(
         conflicting_encounters := count(DISTINCT c.encounter_id),
         encounter_ids := list_sort(list(DISTINCT c.encounter_id)),
         birth_date_conflict := bool_or(c.birth_conflict),
         sex_conflict := bool_or(c.sex_conflict),
         max_birth_date_gap_days := max(c.gap_days)
       )) AS evidence
FROM conflicts c
WHERE c.birth_conflict OR c.sex_conflict
GROUP BY c.mrn
