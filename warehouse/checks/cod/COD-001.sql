/*---
id: COD-001
title: Invalid ICD-10-CM code
family: COD
severity: high
kahn: {category: conformance, context: verification}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "CMS Medicare Code Editor — invalid diagnosis code; HIPAA 45 CFR 162.1002 adopts ICD-10-CM as the diagnosis code set"
description: >
  A diagnosis code that is not an ICD-10-CM code at all, after removing dots and spaces and
  upper-casing (E11.9, e119 and E11 9 all read as E119). Blank codes are a completeness
  issue for the table checks, not this rule.
---*/
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       e.mrn,
       NULL AS user_id,
       'Diagnosis ' || d.encounter_id || ':' || CAST(d.seq AS VARCHAR) || ' code ''' || d.code
         || ''' is not in ICD-10-CM' AS message,
       to_json(struct_pack(code := d.code, normalised := d.norm, seq := d.seq)) AS evidence
FROM (
    SELECT encounter_id, seq, code, upper(regexp_replace(code, '[^A-Za-z0-9]', '', 'g')) AS norm
    FROM diagnoses
    WHERE code IS NOT NULL AND trim(code) <> ''
) d
LEFT JOIN (SELECT encounter_id, min(mrn) AS mrn FROM encounters GROUP BY encounter_id) e
       ON e.encounter_id = d.encounter_id
WHERE NOT EXISTS (SELECT 1 FROM ref.icd10cm c WHERE c.code = d.norm)
