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
       d.mrn,
       NULL AS user_id,
       'Diagnosis ' || d.encounter_id || ':' || CAST(d.seq AS VARCHAR) || ' code ''' || d.code
         || ''' is not in ICD-10-CM' AS message,
       to_json(struct_pack(code := d.code, normalised := d.code_norm, seq := d.seq)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
WHERE d.code IS NOT NULL AND trim(d.code) <> ''
  AND NOT EXISTS (SELECT 1 FROM ref.icd10cm c WHERE c.code = d.code_norm)
