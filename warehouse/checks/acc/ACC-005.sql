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
), vip AS (
    SELECT DISTINCT mrn FROM patients WHERE is_vip
), candidates AS (
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at, a.action, a.workstation, u.role,
           lower(u.role) IN ('him', 'billing', 'registration', 'it') AS operational
    FROM access_log a
    JOIN users u ON u.user_id = a.user_id
    ANTI JOIN vip v ON v.mrn = a.mrn
    ANTI JOIN identity_pairs i ON i.user_id = a.user_id AND i.mrn = a.mrn
    WHERE a.accessed_at >= u.hired_at
      AND (u.terminated_at IS NULL OR a.accessed_at < u.terminated_at)
), unexplained AS (
    -- explicit ANTI JOINs: a hash join on (user, patient) with the window as a join filter,
    -- several times faster than a correlated NOT EXISTS on tens of millions of events
    SELECT c.event_id, c.user_id, c.mrn, c.accessed_at, c.action, c.workstation, c.role,
           'no care-team or attending link within ' || CAST($window_days AS VARCHAR) || ' days' AS why
    FROM candidates c
    ANTI JOIN links l
      ON l.user_id = c.user_id AND l.mrn = c.mrn
     AND c.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
     AND c.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY
    WHERE NOT c.operational
    UNION ALL
    SELECT c.event_id, c.user_id, c.mrn, c.accessed_at, c.action, c.workstation, c.role,
           'operational role, but the patient has no encounter within ' || CAST($purpose_days AS VARCHAR) || ' days' AS why
    FROM candidates c
    ANTI JOIN encounters e
      ON e.mrn = c.mrn
     AND c.accessed_at >= e.admit_at - $purpose_days * INTERVAL 1 DAY
     AND c.accessed_at <= coalesce(e.discharge_at, $as_of) + $purpose_days * INTERVAL 1 DAY
    WHERE c.operational
), nearest AS (
    -- for the investigator: how far the access is from the user's nearest care link, if any
    SELECT x.event_id,
           min(CASE WHEN x.accessed_at < l.admit_at
                    THEN date_diff('day', CAST(x.accessed_at AS DATE), CAST(l.admit_at AS DATE))
                    ELSE date_diff('day', CAST(l.discharge_at AS DATE), CAST(x.accessed_at AS DATE)) END) AS days
    FROM unexplained x
    JOIN links l ON l.user_id = x.user_id AND l.mrn = x.mrn
    GROUP BY x.event_id
)
SELECT x.event_id AS record_key,
       x.mrn,
       x.user_id,
       'Chart opened with no treatment relationship or documented purpose' AS message,
       to_json(struct_pack(
           user_id := x.user_id, role := x.role, mrn := x.mrn, accessed_at := x.accessed_at,
           action := x.action, workstation := x.workstation, why := x.why,
           days_from_nearest_link := n.days
       )) AS evidence
FROM unexplained x
LEFT JOIN nearest n ON n.event_id = x.event_id
