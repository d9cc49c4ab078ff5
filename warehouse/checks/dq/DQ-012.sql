/*---
id: DQ-012
title: Diagnosis line for an encounter that does not exist
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [diagnoses, encounters]
record_table: diagnoses
record_key: "encounter_id:seq"
citation: "Kahn et al. 2016 — relational conformance (OHDSI DQD fkDomain)"
description: >
  A coded diagnosis whose encounter_id is not in encounters: it cannot be billed, edited
  against the patient's age and sex, or abstracted.
---*/
SELECT d.encounter_id || ':' || CAST(d.seq AS VARCHAR) AS record_key,
       CAST(NULL AS VARCHAR) AS mrn,
       CAST(NULL AS VARCHAR) AS user_id,
       'Diagnosis line ' || d.encounter_id || ':' || CAST(d.seq AS VARCHAR)
         || ' refers to an encounter that does not exist' AS message,
       to_json(struct_pack(encounter_id := d.encounter_id, seq := d.seq, code := d.code)) AS evidence
FROM diagnoses d
WHERE d.encounter_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM encounters e WHERE e.encounter_id = d.encounter_id)
