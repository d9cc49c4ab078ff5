/*---
id: COD-004
title: Diagnosis conflicts with the patient's age
family: COD
severity: high
kahn: {category: plausibility, context: validation}
tables: [diagnoses, encounters, patients]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "CMS Definitions of Medicare Code Edits (MCE) — age conflict edit: newborn 0, pediatric 0-17, maternity 9-64, adult 15-124"
description: >
  A diagnosis whose MCE age category (ref.cod_age_edits) does not fit the patient's age in
  whole years at admission. Ages outside 0-124 are implausible demographics (MPI/DQ rules),
  not coding errors, and are not judged here.
---*/
WITH edits AS (
    SELECT c.code, a.edit, a.min_age, a.max_age
    FROM ref.icd10cm c
    JOIN ref.cod_age_edits a
      ON left(c.code, length(a.code_lo)) >= a.code_lo AND left(c.code, length(a.code_hi)) <= a.code_hi
),
pat AS (
    SELECT mrn, min(birth_date) AS birth_date FROM patients
    WHERE birth_date IS NOT NULL GROUP BY mrn HAVING count(DISTINCT birth_date) = 1
),
enc AS (
    SELECT e.encounter_id, e.mrn, e.admit_at,
           -- whole years: year difference, minus one before the birthday
           extract(year FROM e.admit_at) - extract(year FROM p.birth_date)
             - CASE WHEN extract(month FROM e.admit_at) < extract(month FROM p.birth_date)
                      OR (extract(month FROM e.admit_at) = extract(month FROM p.birth_date)
                          AND extract(day FROM e.admit_at) < extract(day FROM p.birth_date))
                    THEN 1 ELSE 0 END AS age
    FROM (SELECT encounter_id, min(mrn) AS mrn, min(admit_at) AS admit_at FROM encounters GROUP BY encounter_id) e
    JOIN pat p ON p.mrn = e.mrn
    WHERE e.admit_at IS NOT NULL
)
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       e.mrn,
       NULL AS user_id,
       'Diagnosis ' || d.code || ' is a ' || x.edit || ' code (ages ' || CAST(x.min_age AS VARCHAR) || '-'
         || CAST(x.max_age AS VARCHAR) || '); patient was ' || CAST(e.age AS VARCHAR) || ' at admission' AS message,
       to_json(struct_pack(code := d.code, seq := d.seq, edit := x.edit, min_age := x.min_age,
                           max_age := x.max_age, age_at_admission := e.age)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code
JOIN edits x ON x.code = d.code_norm
JOIN enc e ON e.encounter_id = d.encounter_id
WHERE d.code IS NOT NULL AND e.age BETWEEN 0 AND 124
  AND (e.age < x.min_age OR e.age > x.max_age)
