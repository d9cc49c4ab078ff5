/*---
id: DQ-030
title: Discharge before admission
family: DQ
severity: high
kahn: {category: plausibility, context: verification}
tables: [encounters]
record_table: encounters
record_key: encounter_id
citation: "Kahn et al. 2016 — temporal plausibility (OHDSI DQD plausibleTemporalAfter)"
description: >
  An encounter whose discharge timestamp is earlier than its admission timestamp; length of
  stay, delinquency clocks and every encounter-window rule are wrong for it.
---*/
SELECT e.encounter_id AS record_key,
       e.mrn,
       e.attending_id AS user_id,
       'Encounter ' || e.encounter_id || ' discharged before it was admitted' AS message,
       to_json(struct_pack(admit_at := e.admit_at, discharge_at := e.discharge_at)) AS evidence
FROM encounters e
WHERE e.discharge_at < e.admit_at
