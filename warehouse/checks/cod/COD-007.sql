/*---
id: COD-007
title: Secondary diagnosis duplicates the principal
family: COD
severity: low
kahn: {category: plausibility, context: verification}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounter_id:seq (the duplicate line)"
citation: "CMS MCE — duplicate of principal diagnosis (a secondary diagnosis equal to the principal)"
description: >
  A secondary diagnosis line whose code (after normalising dots and case) is the principal
  diagnosis's code on the same encounter.
---*/
WITH dx AS (SELECT * FROM derived.diagnosis_lines WHERE code IS NOT NULL)
SELECT s.encounter_id || ':' || CAST(s.seq AS VARCHAR) AS record_key,
       s.mrn,
       NULL AS user_id,
       'Diagnosis ' || s.encounter_id || ':' || CAST(s.seq AS VARCHAR) || ' repeats the principal diagnosis '
         || p.code AS message,
       to_json(struct_pack(code := s.code, seq := s.seq, principal_code := p.code)) AS evidence
FROM dx s
JOIN dx p ON p.encounter_id = s.encounter_id AND p.seq = 1 AND p.code_norm = s.code_norm
WHERE s.seq > 1
