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
WITH dx AS (
    SELECT encounter_id, seq, code, upper(regexp_replace(code, '[^A-Za-z0-9]', '', 'g')) AS norm
    FROM diagnoses
    WHERE code IS NOT NULL
)
SELECT s.encounter_id || ':' || CAST(s.seq AS VARCHAR) AS record_key,
       e.mrn,
       NULL AS user_id,
       'Diagnosis ' || s.encounter_id || ':' || CAST(s.seq AS VARCHAR) || ' repeats the principal diagnosis '
         || p.code AS message,
       to_json(struct_pack(code := s.code, seq := s.seq, principal_code := p.code)) AS evidence
FROM dx s
JOIN dx p ON p.encounter_id = s.encounter_id AND p.seq = 1 AND p.norm = s.norm
LEFT JOIN (SELECT encounter_id, min(mrn) AS mrn FROM encounters GROUP BY encounter_id) e
       ON e.encounter_id = s.encounter_id
WHERE s.seq > 1
