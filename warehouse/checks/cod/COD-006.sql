/*---
id: COD-006
title: External-cause code as principal diagnosis
family: COD
severity: high
kahn: {category: plausibility, context: validation}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "CMS MCE — E-code (external cause) as principal diagnosis; ICD-10-CM Official Guidelines I.C.20 (external cause codes are never sequenced first)"
description: >
  The principal diagnosis (seq 1) is a valid ICD-10-CM external-cause code (chapter 20,
  V00-Y99), which describes how an injury happened, never why the patient was treated.
---*/
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       d.mrn,
       NULL AS user_id,
       'Principal diagnosis ' || d.code || ' is an external-cause code: sequence the injury first' AS message,
       to_json(struct_pack(code := d.code, description := c.description)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
JOIN ref.icd10cm c ON c.code = d.code_norm
WHERE d.seq = 1 AND d.code IS NOT NULL
  AND substr(d.code_norm, 1, 1) IN ('V', 'W', 'X', 'Y')
