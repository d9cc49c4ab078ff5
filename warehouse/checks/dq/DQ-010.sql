/*---
id: DQ-010
title: Encounter for an MRN that is not in the MPI
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [encounters, patients]
record_table: encounters
record_key: encounter_id
citation: "Kahn et al. 2016 — relational conformance (OHDSI DQD fkDomain/fkClass)"
description: >
  An encounter whose mrn does not exist in the master patient index (patients); the visit
  cannot be tied to a person, so its documentation, codes and disclosures are orphaned.
---*/
SELECT e.encounter_id AS record_key,
       e.mrn,
       e.attending_id AS user_id,
       'Encounter ' || e.encounter_id || ' refers to MRN ' || e.mrn
         || ', which is not in the MPI' AS message,
       to_json(struct_pack(mrn := e.mrn)) AS evidence
FROM encounters e
WHERE e.mrn IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.mrn = e.mrn)
