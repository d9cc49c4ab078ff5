/*---
id: DQ-033
title: Timestamp in the future (after the scan's as-of)
family: DQ
severity: medium
kahn: {category: plausibility, context: verification}
tables: [encounters, notes, access_log, procedures]
applies_when: any
record_table: "*"
record_key: the row's key (encounter_id, note_id, event_id, encounter_id:seq)
citation: "Kahn et al. 2016 — temporal plausibility (no future dates)"
description: >
  An admission, discharge, note creation or signature, EHR access or procedure time later
  than the scan's as-of date. Usually a typo in the year or a clock/timezone fault at the
  source; one finding per row, naming the columns that are in the future.
---*/
WITH future AS (
    SELECT 'encounters' AS table_name, e.encounter_id AS record_key, e.mrn,
           e.attending_id AS user_id,
           concat_ws(', ', CASE WHEN e.admit_at > $as_of THEN 'admit_at' END,
                           CASE WHEN e.discharge_at > $as_of THEN 'discharge_at' END) AS columns,
           greatest(e.admit_at, e.discharge_at) AS latest
    FROM encounters e
    WHERE e.admit_at > $as_of OR e.discharge_at > $as_of
    UNION ALL
    SELECT 'notes', n.note_id, n.mrn, n.author_id,
           concat_ws(', ', CASE WHEN n.created_at > $as_of THEN 'created_at' END,
                           CASE WHEN n.signed_at > $as_of THEN 'signed_at' END),
           greatest(n.created_at, n.signed_at)
    FROM notes n
    WHERE n.created_at > $as_of OR n.signed_at > $as_of
    UNION ALL
    SELECT 'access_log', a.event_id, a.mrn, a.user_id, 'accessed_at', a.accessed_at
    FROM access_log a
    WHERE a.accessed_at > $as_of
    UNION ALL
    SELECT 'procedures', p.encounter_id || ':' || CAST(p.seq AS VARCHAR), CAST(NULL AS VARCHAR),
           p.provider_id, 'performed_at', p.performed_at
    FROM procedures p
    WHERE p.performed_at > $as_of
)
SELECT record_key,
       table_name,
       mrn,
       user_id,
       table_name || ' ' || record_key || ': ' || columns || ' after as-of '
         || strftime($as_of, '%Y-%m-%d %H:%M') AS message,
       to_json(struct_pack(columns := columns, latest := latest, as_of := $as_of)) AS evidence
FROM future
