/*---
id: DOC-007
title: Discharge summary missing
family: DOC
severity: high
kahn: {category: completeness, context: validation}
tables: [encounters, notes]
record_table: encounters
record_key: encounter_id
citation: "42 CFR 482.24(c)(4)(vii) — discharge summary with outcome of hospitalization, disposition, and provisions for follow-up care"
thresholds:
  due_hours: 72   # hours after discharge before a missing summary counts
description: >
  A discharged inpatient stay, discharged at least due_hours before as-of, with no
  discharge_summary note at all (an unsigned one is DOC-001's finding).
---*/
SELECT e.encounter_id AS record_key,
       min(e.mrn) AS mrn,
       min(e.attending_id) AS user_id,
       'Inpatient stay ' || e.encounter_id || ' discharged ' || strftime(min(e.discharge_at), '%Y-%m-%d')
         || ' has no discharge summary' AS message,
       to_json(struct_pack(
         admit_at := min(e.admit_at),
         discharge_at := min(e.discharge_at),
         days_since_discharge := date_diff('day', CAST(min(e.discharge_at) AS DATE), CAST($as_of AS DATE))
       )) AS evidence
FROM encounters e
WHERE lower(e.encounter_class) = 'inpatient'
  AND e.discharge_at IS NOT NULL
  AND e.discharge_at + $due_hours * INTERVAL 1 HOUR <= $as_of
  AND NOT EXISTS (
      SELECT 1 FROM notes n
      WHERE n.encounter_id = e.encounter_id AND n.note_type = 'discharge_summary'
  )
GROUP BY e.encounter_id
