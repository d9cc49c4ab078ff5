/*---
id: ACC-003
title: Family or household member's record opened without a treatment relationship
family: ACC
severity: high
kahn: {category: plausibility, context: validation}
tables: [access_log, users, patients, encounters, care_team]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(b) audit controls; 164.502(b) minimum necessary; 164.308(a)(1)(ii)(D) activity review"
thresholds:
  window_days: 7
description: >
  The user shares the patient's last name and either the street address or the phone number
  (normalised) — a probable relative or housemate — and is neither on the care team nor the
  attending of any of the patient's encounters within ± window_days of the access. A match
  that is the user's own identity is reported by ACC-002 instead.
---*/
WITH roster AS (
    -- linkage keys normalised once, identically for both sides
    SELECT * FROM derived.workforce_identity
), mpi AS (
    SELECT * FROM derived.patient_identity
), matches AS (
    SELECT r.user_id, m.mrn, 'last_name+address' AS matched_on
    FROM roster r JOIN mpi m ON m.ln = r.ln AND m.addr = r.addr
    WHERE r.ln <> '' AND r.addr <> ''
    UNION ALL
    SELECT r.user_id, m.mrn, 'last_name+phone' AS matched_on
    FROM roster r JOIN mpi m ON m.ln = r.ln AND m.ph = r.ph
    WHERE r.ln <> '' AND r.ph <> ''
), self_pairs AS (
    -- ACC-002's linkage: same first + last name and the same birth date or address
    SELECT r.user_id, m.mrn FROM roster r
    JOIN mpi m ON m.fn = r.fn AND m.ln = r.ln AND (m.birth_date = r.birth_date OR (m.addr = r.addr AND r.addr <> ''))
    WHERE r.fn <> '' AND r.ln <> ''
), family_pairs AS (
    SELECT f.user_id, f.mrn, array_to_string(list_sort(list(DISTINCT f.matched_on)), ';') AS matched_on
    FROM matches f
    WHERE NOT EXISTS (SELECT 1 FROM self_pairs s WHERE s.user_id = f.user_id AND s.mrn = f.mrn)
    GROUP BY f.user_id, f.mrn
), links AS (
    -- only the linked relatives' encounters (a few thousand of millions)
    SELECT user_id, mrn, admit_at, coalesce(discharge_at, $as_of) AS discharge_at
    FROM derived.treatment_links
    WHERE mrn IN (SELECT mrn FROM family_pairs)
), roles AS (
    SELECT user_id, min(role) AS role FROM users GROUP BY user_id
)
SELECT a.event_id AS record_key,
       a.mrn,
       a.user_id,
       'Probable family/household member''s record opened with no treatment relationship (' || f.matched_on || ')' AS message,
       to_json(struct_pack(
           user_id := a.user_id, role := r.role, mrn := a.mrn, accessed_at := a.accessed_at,
           action := a.action, workstation := a.workstation,
           why := 'shares ' || f.matched_on || ' with the patient; no care-team or attending link within '
                  || CAST($window_days AS VARCHAR) || ' days'
       )) AS evidence
FROM access_log a
JOIN family_pairs f ON f.user_id = a.user_id AND f.mrn = a.mrn
JOIN roles r ON r.user_id = a.user_id
WHERE NOT EXISTS (
    SELECT 1 FROM links l
    WHERE l.user_id = a.user_id AND l.mrn = a.mrn
      AND a.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
      AND a.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY
)
