/*---
id: COD-002
title: Non-billable (header) ICD-10-CM code
family: COD
severity: medium
kahn: {category: conformance, context: validation}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "ICD-10-CM Official Guidelines for Coding and Reporting, Section I.A.2 — a code is invalid if it has not been coded to the full number of characters required"
description: >
  A valid ICD-10-CM category or subcategory that has more specific codes beneath it (a header
  such as E11 or I48.9), so it cannot be reported on a claim.
---*/
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       d.mrn,
       NULL AS user_id,
       'Diagnosis ' || d.encounter_id || ':' || CAST(d.seq AS VARCHAR) || ' code ' || c.code_dotted
         || ' is a header, not billable: code to the full number of characters' AS message,
       to_json(struct_pack(code := d.code, code_dotted := c.code_dotted, description := c.description)) AS evidence
FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
JOIN ref.icd10cm c ON c.code = d.code_norm
WHERE d.code IS NOT NULL AND NOT c.billable
