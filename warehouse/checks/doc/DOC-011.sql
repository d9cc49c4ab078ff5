/*---
id: DOC-011
title: Entry missing date/time or author
family: DOC
severity: medium
kahn: {category: completeness, context: verification}
tables: [notes]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) — all entries must be dated, timed, and authenticated by the author"
description: >
  A note with no creation time or no author: nobody can tell when it was written or who is
  responsible for it.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       n.signer_id AS user_id,
       'Note ' || n.note_id || ' (' || coalesce(n.note_type, 'unknown type') || ') has no '
         || concat_ws(' and no ',
                      CASE WHEN n.created_at IS NULL THEN 'date/time' END,
                      CASE WHEN n.author_id IS NULL OR trim(n.author_id) = '' THEN 'author' END) AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         created_at := n.created_at,
         author_id := n.author_id,
         signed_at := n.signed_at
       )) AS evidence
FROM notes n
WHERE n.created_at IS NULL OR n.author_id IS NULL OR trim(n.author_id) = ''
