/*---
id: DOC-010
title: Verbal order not authenticated in time
family: DOC
severity: medium
kahn: {category: completeness, context: verification}
tables: [notes]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(3) — verbal orders authenticated based upon Federal and State law; authentication window set by state law / medical-staff policy"
thresholds:
  window_hours: 48   # policy window for authenticating a verbal order
description: >
  A verbal order signed more than window_hours after it was taken, or still unsigned once
  window_hours have passed at as-of.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       n.author_id AS user_id,
       'Verbal order ' || n.note_id || ' taken ' || strftime(n.created_at, '%Y-%m-%d %H:%M')
         || CASE WHEN n.signed_at IS NULL THEN ' still not authenticated'
                 ELSE ' authenticated after ' || CAST(floor((epoch(n.signed_at) - epoch(n.created_at)) / 3600) AS VARCHAR) || ' h' END
         AS message,
       to_json(struct_pack(
         encounter_id := n.encounter_id,
         created_at := n.created_at,
         signed_at := n.signed_at,
         hours_to_sign := floor((epoch(coalesce(n.signed_at, $as_of)) - epoch(n.created_at)) / 3600),
         window_hours := $window_hours
       )) AS evidence
FROM notes n
WHERE n.note_type = 'verbal_order'
  AND n.created_at IS NOT NULL
  AND ((n.signed_at IS NULL AND n.created_at + $window_hours * INTERVAL 1 HOUR <= $as_of)
       OR n.signed_at > n.created_at + $window_hours * INTERVAL 1 HOUR)
