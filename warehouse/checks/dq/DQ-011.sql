/*---
id: DQ-011
title: Clinical note for an encounter that does not exist
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [notes, encounters]
record_table: notes
record_key: note_id
citation: "Kahn et al. 2016 — relational conformance (OHDSI DQD fkDomain)"
description: >
  A note whose encounter_id is not in encounters: it cannot be checked for timeliness or
  completeness against its visit and will be missed by record-completion work queues.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       n.author_id AS user_id,
       'Note ' || n.note_id || ' refers to encounter ' || n.encounter_id
         || ', which does not exist' AS message,
       to_json(struct_pack(encounter_id := n.encounter_id, note_type := n.note_type)) AS evidence
FROM notes n
WHERE n.encounter_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM encounters e WHERE e.encounter_id = n.encounter_id)
