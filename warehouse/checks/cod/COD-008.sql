/*---
id: COD-008
title: Encounter without a principal diagnosis
family: COD
severity: high
kahn: {category: completeness, context: verification}
tables: [diagnoses]
record_table: encounters
record_key: encounter_id
citation: "CMS MCE / UB-04 FL 67 — every claim carries exactly one principal diagnosis; ICD-10-CM Official Guidelines Section II (selection of principal diagnosis)"
description: >
  An encounter that has diagnosis lines but none sequenced first (seq 1).
---*/
SELECT d.encounter_id AS record_key,
       min(d.mrn) AS mrn,
       NULL AS user_id,
       'Encounter ' || d.encounter_id || ' has ' || CAST(count(*) AS VARCHAR)
         || ' diagnosis line(s) but no principal (seq 1)' AS message,
       to_json(struct_pack(lines := count(*), lowest_seq := min(d.seq))) AS evidence
FROM derived.diagnosis_lines d  -- the encounter's MRN
WHERE d.encounter_id IS NOT NULL
GROUP BY d.encounter_id
HAVING sum(CASE WHEN d.seq = 1 THEN 1 ELSE 0 END) = 0
