/*---
id: ACC-005
title: Unexplained access — no treatment relationship or documented purpose
family: ACC
severity: medium
kahn: {category: plausibility, context: validation}
tables: [access_log, users, patients, encounters, care_team]
record_table: access_log
record_key: event_id
citation: "45 CFR 164.312(b) audit controls; 164.308(a)(1)(ii)(D) information system activity review; 164.502(b) minimum necessary"
thresholds:
  window_days: 7
  purpose_days: 60
description: >
  A clinical (or other non-operational) user opened a chart without being on the care team
  or the attending of any of the patient's encounters within ± window_days; or an
  operational user (HIM, billing, registration, IT) opened a chart with no encounter of that
  patient within ± purpose_days, so the access follows no documented purpose. Events already
  reported by a more specific rule are left to it: outside employment (ACC-001), own or
  household record (ACC-002/003), VIP record (ACC-004). The share of accesses explained is
  published as a run figure.
---*/
WITH roster AS (
    SELECT user_id,
           regexp_replace(lower(first_name), '[^a-z]', '', 'g') AS fn,
           regexp_replace(lower(last_name), '[^a-z]', '', 'g') AS ln,
           birth_date,
           regexp_replace(lower(address), '[^a-z0-9]', '', 'g') AS addr,
           regexp_replace(phone, '[^0-9]', '', 'g') AS ph
    FROM users
), mpi AS (
    SELECT mrn,
           regexp_replace(lower(first_name), '[^a-z]', '', 'g') AS fn,
           regexp_replace(lower(last_name), '[^a-z]', '', 'g') AS ln,
           birth_date,
           regexp_replace(lower(address), '[^a-z0-9]', '', 'g') AS addr,
           regexp_replace(phone, '[^0-9]', '', 'g') AS ph
    FROM patients
), identity_pairs AS (
    -- the ACC-002 (self) and ACC-003 (family) linkages: those events belong to those rules
    SELECT r.user_id, m.mrn FROM roster r JOIN mpi m ON m.fn = r.fn AND m.ln = r.ln AND m.birth_date = r.birth_date
    WHERE r.fn <> '' AND r.ln <> ''
    UNION ALL
    SELECT r.user_id, m.mrn FROM roster r JOIN mpi m ON m.ln = r.ln AND m.addr = r.addr
    WHERE r.ln <> '' AND r.addr <> ''
    UNION ALL
    SELECT r.user_id, m.mrn FROM roster r JOIN mpi m ON m.ln = r.ln AND m.ph = r.ph
    WHERE r.ln <> '' AND r.ph <> ''
), links AS (
    SELECT ct.user_id, e.mrn, e.admit_at, coalesce(e.discharge_at, $as_of) AS discharge_at
    FROM care_team ct JOIN encounters e ON e.encounter_id = ct.encounter_id
    UNION ALL
    SELECT e.attending_id AS user_id, e.mrn, e.admit_at, coalesce(e.discharge_at, $as_of) AS discharge_at
    FROM encounters e WHERE e.attending_id IS NOT NULL
), candidates AS (
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at, a.action, a.workstation, u.role,
           lower(u.role) IN ('him', 'billing', 'registration', 'it') AS operational
    FROM access_log a
    JOIN users u ON u.user_id = a.user_id
    WHERE a.accessed_at >= u.hired_at
      AND (u.terminated_at IS NULL OR a.accessed_at < u.terminated_at)
      AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.mrn = a.mrn AND p.is_vip)
      AND NOT EXISTS (SELECT 1 FROM identity_pairs i WHERE i.user_id = a.user_id AND i.mrn = a.mrn)
), unexplained AS (
    SELECT c.*, 'no care-team or attending link within ' || CAST($window_days AS VARCHAR) || ' days' AS why
    FROM candidates c
    WHERE NOT c.operational
      AND NOT EXISTS (
          SELECT 1 FROM links l
          WHERE l.user_id = c.user_id AND l.mrn = c.mrn
            AND c.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
            AND c.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY)
    UNION ALL
    SELECT c.*, 'operational role, but the patient has no encounter within ' || CAST($purpose_days AS VARCHAR) || ' days' AS why
    FROM candidates c
    WHERE c.operational
      AND NOT EXISTS (
          SELECT 1 FROM encounters e
          WHERE e.mrn = c.mrn
            AND c.accessed_at >= e.admit_at - $purpose_days * INTERVAL 1 DAY
            AND c.accessed_at <= coalesce(e.discharge_at, $as_of) + $purpose_days * INTERVAL 1 DAY)
)
SELECT x.event_id AS record_key,
       x.mrn,
       x.user_id,
       'Chart opened with no treatment relationship or documented purpose' AS message,
       to_json(struct_pack(
           user_id := x.user_id, role := x.role, mrn := x.mrn, accessed_at := x.accessed_at,
           action := x.action, workstation := x.workstation, why := x.why,
           days_from_nearest_link := (
               SELECT min(CASE WHEN x.accessed_at < l.admit_at
                               THEN date_diff('day', CAST(x.accessed_at AS DATE), CAST(l.admit_at AS DATE))
                               ELSE date_diff('day', CAST(l.discharge_at AS DATE), CAST(x.accessed_at AS DATE)) END)
               FROM links l WHERE l.user_id = x.user_id AND l.mrn = x.mrn)
       )) AS evidence
FROM unexplained x
