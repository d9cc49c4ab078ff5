/*---
id: DOC-005
title: Note authored by a non-clinical role
family: DOC
severity: medium
kahn: {category: plausibility, context: validation}
tables: [notes, users]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) — entries made by the person responsible for providing or evaluating the service; facility medical-staff bylaws on who may document"
description: >
  The author's roster role is not clinical (clinical = physician, resident, nurse, therapist):
  HIM, billing, registration, IT or admin staff do not author clinical documentation.
---*/
WITH staff AS (
    SELECT user_id, min(lower(role)) AS role
    FROM users
    WHERE role IS NOT NULL
    GROUP BY user_id
)
SELECT n.note_id AS record_key,
       n.mrn,
       n.author_id AS user_id,
       'Note ' || n.note_id || ' (' || coalesce(n.note_type, 'unknown type') || ') authored by '
         || n.author_id || ', role ' || u.role AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         author_role := u.role,
         created_at := n.created_at
       )) AS evidence
FROM notes n
JOIN staff u ON u.user_id = n.author_id
WHERE u.role NOT IN ('physician', 'resident', 'nurse', 'therapist')
