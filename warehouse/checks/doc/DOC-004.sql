/*---
id: DOC-004
title: Note signed by a user not employed at signing time
family: DOC
severity: high
kahn: {category: plausibility, context: validation}
tables: [notes, users]
record_table: notes
record_key: note_id
citation: "42 CFR 482.24(c)(1) and 482.22 — authentication only by authorized, credentialed practitioners; HR roster hire/termination dates"
description: >
  The signer's HR record shows the signature was made before the signer was hired or at or
  after the signer's termination: the account was shared, left active, or the date is wrong.
---*/
WITH staff AS (
    SELECT user_id,
           min(hired_at) AS hired_at,
           CASE WHEN bool_or(terminated_at IS NULL) THEN NULL ELSE max(terminated_at) END AS terminated_at
    FROM users
    GROUP BY user_id
)
SELECT n.note_id AS record_key,
       n.mrn,
       n.signer_id AS user_id,
       'Note ' || n.note_id || ' signed ' || strftime(n.signed_at, '%Y-%m-%d %H:%M') || ' by '
         || n.signer_id || CASE WHEN n.signed_at < u.hired_at THEN ' before hire ' || strftime(u.hired_at, '%Y-%m-%d')
                                ELSE ' after termination ' || strftime(u.terminated_at, '%Y-%m-%d') END AS message,
       to_json(struct_pack(
         note_type := n.note_type,
         encounter_id := n.encounter_id,
         signed_at := n.signed_at,
         hired_at := u.hired_at,
         terminated_at := u.terminated_at,
         problem := CASE WHEN n.signed_at < u.hired_at THEN 'before_hire' ELSE 'after_termination' END
       )) AS evidence
FROM notes n
JOIN staff u ON u.user_id = n.signer_id
WHERE n.signed_at IS NOT NULL
  AND (n.signed_at < u.hired_at OR n.signed_at >= u.terminated_at)
