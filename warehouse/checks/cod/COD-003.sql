/*---
id: COD-003
title: Diagnosis conflicts with the patient's sex
family: COD
severity: high
kahn: {category: plausibility, context: validation}
tables: [diagnoses, encounters, patients]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "CMS Definitions of Medicare Code Edits (MCE) — sex conflict edit (diagnoses for females only / males only)"
description: >
  A diagnosis only possible for one sex (ref.cod_sex_edits) on a patient whose MPI sex is the
  other one (F/M; X and U are not compared, and a patient with conflicting MPI rows is left to
  the MPI rules).
---*/
WITH edits AS (   -- expand the curated ranges to concrete codes once (98k x a few dozen ranges)
    SELECT c.code, s.sex, s.category
    FROM ref.icd10cm c
    JOIN ref.cod_sex_edits s
      ON left(c.code, length(s.code_lo)) >= s.code_lo AND left(c.code, length(s.code_hi)) <= s.code_hi
),
pat AS (
    SELECT mrn, min(upper(sex)) AS sex FROM patients GROUP BY mrn HAVING count(DISTINCT upper(sex)) = 1
)
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       d.mrn,
       NULL AS user_id,
       'Diagnosis ' || d.code || ' (' || x.category || ') is for ' || CASE x.sex WHEN 'F' THEN 'females' ELSE 'males' END
         || ' only; patient sex is ' || p.sex AS message,
       to_json(struct_pack(code := d.code, seq := d.seq, edit_sex := x.sex, patient_sex := p.sex,
                           category := x.category)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
JOIN edits x ON x.code = d.code_norm
JOIN pat p ON p.mrn = d.mrn
WHERE d.code IS NOT NULL AND p.sex IN ('F', 'M') AND p.sex <> x.sex
