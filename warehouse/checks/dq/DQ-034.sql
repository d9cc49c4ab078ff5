/*---
id: DQ-034
title: Note dated far outside its encounter
family: DQ
severity: medium
kahn: {category: plausibility, context: verification}
tables: [notes, encounters]
record_table: notes
record_key: note_id
citation: "Kahn et al. 2016 — temporal plausibility; 42 CFR 482.24(c) entries dated"
description: >
  A note created more than [days_before_admit] days before its encounter's admission or more
  than [days_after_discharge] days after its discharge: misfiled to the wrong encounter or
  wrongly dated.
thresholds:
  days_before_admit: 30
  days_after_discharge: 60
---*/
WITH enc AS (
    -- one row per encounter id, so a duplicated encounter (DQ-020) cannot double a finding
    SELECT encounter_id, min(admit_at) AS admit_at, max(discharge_at) AS discharge_at
    FROM encounters
    GROUP BY encounter_id
)
SELECT n.note_id AS record_key,
       n.mrn,
       n.author_id AS user_id,
       'Note ' || n.note_id || ' created '
         || CASE WHEN n.created_at < e.admit_at THEN 'long before admission'
                 ELSE 'long after discharge' END
         || ' of encounter ' || n.encounter_id AS message,
       to_json(struct_pack(created_at := n.created_at, admit_at := e.admit_at,
                           discharge_at := e.discharge_at)) AS evidence
FROM notes n
JOIN enc e ON e.encounter_id = n.encounter_id
WHERE n.created_at < e.admit_at - INTERVAL 1 DAY * $days_before_admit
   OR n.created_at > e.discharge_at + INTERVAL 1 DAY * $days_after_discharge
