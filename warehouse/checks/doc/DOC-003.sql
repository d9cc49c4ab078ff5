/*---
id: DOC-003
title: Note signed by someone other than its author
family: DOC
severity: high
kahn: {category: plausibility, context: validation}
tables: [notes, users]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) — entries authenticated by the person responsible for providing or evaluating the service provided"
description: >
  The signer is not the author. The one co-signature policy recognised is a resident's note
  countersigned by a physician (attending co-signature); any other signer is flagged.
---*/
SELECT n.note_id AS record_key,
       n.mrn,
       n.signer_id AS user_id,
       'Note ' || n.note_id || ' (' || coalesce(n.note_type, 'unknown type') || ') authored by '
         || n.author_id || ' but signed by ' || n.signer_id AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         author_id := n.author_id,
         author_role := a.role,
         signer_id := n.signer_id,
         signer_role := s.role,
         signed_at := n.signed_at
       )) AS evidence
FROM notes n
LEFT JOIN (SELECT user_id, min(lower(role)) AS role FROM users GROUP BY user_id) a
       ON a.user_id = n.author_id
LEFT JOIN (SELECT user_id, min(lower(role)) AS role FROM users GROUP BY user_id) s
       ON s.user_id = n.signer_id
WHERE n.author_id IS NOT NULL
  AND n.signer_id IS NOT NULL
  AND n.signer_id <> n.author_id
  AND NOT (coalesce(a.role, '') = 'resident' AND coalesce(s.role, '') = 'physician')
