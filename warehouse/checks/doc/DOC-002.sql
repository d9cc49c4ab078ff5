/*---
id: DOC-002
title: Note signed before it was created
family: DOC
severity: high
kahn: {category: plausibility, context: verification}
tables: [notes]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) — entries dated, timed and authenticated; a signature that predates the entry is not a valid authentication"
description: >
  The note's signature time is earlier than its creation time: the entry was back-timed or
  the signature belongs to another document.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       coalesce(n.signer_id, n.author_id) AS user_id,
       'Note ' || n.note_id || ' signed ' || strftime(n.signed_at, '%Y-%m-%d %H:%M')
         || ', before it was created ' || strftime(n.created_at, '%Y-%m-%d %H:%M') AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         created_at := n.created_at,
         signed_at := n.signed_at,
         minutes_early := floor((epoch(n.created_at) - epoch(n.signed_at)) / 60)
       )) AS evidence
FROM notes n
WHERE n.signed_at < n.created_at
