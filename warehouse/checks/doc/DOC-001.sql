/*---
id: DOC-001
title: Unsigned clinical note
family: DOC
severity: medium
kahn: {category: completeness, context: verification}
tables: [notes]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) — all entries must be legible, complete, dated, timed, and authenticated by the person responsible"
thresholds:
  grace_hours: 0   # hours after creation before an unsigned note counts
description: >
  A note with no signature time, no signer, or a status other than signed/amended (draft or
  blank), older than grace_hours at the as-of time. The evidence carries its age in days.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       n.author_id AS user_id,
       'Note ' || n.note_id || ' (' || coalesce(n.note_type, 'unknown type') || ') unsigned for '
         || CAST(coalesce(date_diff('day', CAST(n.created_at AS DATE), CAST($as_of AS DATE)), 0) AS VARCHAR)
         || ' days' AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         created_at := n.created_at,
         signed_at := n.signed_at,
         signer_id := n.signer_id,
         status := n.status,
         age_days := date_diff('day', CAST(n.created_at AS DATE), CAST($as_of AS DATE))
       )) AS evidence
FROM notes n
WHERE (n.signed_at IS NULL
       OR n.signer_id IS NULL
       OR coalesce(lower(n.status), 'draft') NOT IN ('signed', 'amended'))
  AND (n.created_at IS NULL OR n.created_at + $grace_hours * INTERVAL 1 HOUR <= $as_of)
