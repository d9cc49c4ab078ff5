/*---
id: ACC-002
title: Self-access — a user opened their own medical record
family: ACC
severity: high
kahn: {category: plausibility, context: validation}
tables: [access_log, users, patients]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(b) audit controls; 164.308(a)(4) access only as the job requires (self-access goes through release of information, 164.524)"
description: >
  The accessing user's identity in the workforce roster matches the patient in the MPI by
  record linkage — same first and last name plus the same birth date or the same address,
  compared case- and punctuation-insensitively — regardless of any treatment relationship.
---*/
WITH roster AS (
    -- linkage keys normalised once, identically for both sides
    SELECT * FROM derived.workforce_identity
), mpi AS (
    SELECT * FROM derived.patient_identity
), matches AS (
    SELECT r.user_id, m.mrn, 'name+birth_date' AS matched_on
    FROM roster r JOIN mpi m ON m.fn = r.fn AND m.ln = r.ln AND m.birth_date = r.birth_date
    WHERE r.fn <> '' AND r.ln <> ''
    UNION ALL
    SELECT r.user_id, m.mrn, 'name+address' AS matched_on
    FROM roster r JOIN mpi m ON m.fn = r.fn AND m.ln = r.ln AND m.addr = r.addr
    WHERE r.fn <> '' AND r.ln <> '' AND r.addr <> ''
), self_pairs AS (
    SELECT user_id, mrn, array_to_string(list_sort(list(DISTINCT matched_on)), ';') AS matched_on
    FROM matches
    GROUP BY user_id, mrn
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
)
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       'User opened a record that links to their own identity (' || s.matched_on || ')' AS message,
       to_json(struct_pack(
           user_id := a.user_id, role := r.role, mrn := a.mrn, accessed_at := a.accessed_at,
           action := a.action, workstation := a.workstation,
           why := 'roster identity matches the patient on ' || s.matched_on
       )) AS evidence
FROM access_log a
JOIN self_pairs s ON s.user_id = a.user_id AND s.mrn = a.mrn
JOIN roles r ON r.user_id = a.user_id
