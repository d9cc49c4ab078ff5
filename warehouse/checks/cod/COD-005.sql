/*---
id: COD-005
title: Manifestation code as principal diagnosis
family: COD
severity: high
kahn: {category: plausibility, context: validation}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "CMS MCE — manifestation code as principal diagnosis; ICD-10-CM Official Guidelines I.A.13 (etiology/manifestation convention: code first the underlying condition)"
description: >
  The principal diagnosis (seq 1) is a manifestation code — one the tabular list says to
  sequence after its underlying disease ("code first underlying disease", "... in diseases
  classified elsewhere"; ref.icd_manifestation, parsed from simple-icd-10-cm notes).
---*/
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       d.mrn,
       NULL AS user_id,
       'Principal diagnosis ' || d.code || ' is a manifestation code: code the underlying disease first' AS message,
       to_json(struct_pack(code := d.code, description := c.description)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
JOIN ref.icd_manifestation m ON m.code = d.code_norm
LEFT JOIN ref.icd10cm c ON c.code = d.code_norm
WHERE d.seq = 1 AND d.code IS NOT NULL
