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
-- Cost note (18.8M events at 1M patients): the treatment / purpose checks run first, as
-- hash anti-joins on the equality keys (user_id, mrn) or (mrn) with the time window as a
-- join filter, and each branch reads only its own roles' events; the exclusions for the more
-- specific rules (VIP, self/household linkage) and the employment window then run on the
-- few unexplained events, so names are normalised for those pairs only, never for the whole
-- MPI. (Filtering employment first, a range join on users, made DuckDB misjudge the sizes and
-- build its hash table on 15M events instead of the links: 35% more CPU at 1M patients.)
WITH links AS (
    SELECT user_id, mrn, admit_at, coalesce(discharge_at, $as_of) AS discharge_at
    FROM derived.treatment_links
), unexplained AS (
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at, a.action, a.workstation, u.role,
           u.hired_at, u.terminated_at,
           'no care-team or attending link within ' || CAST($window_days AS VARCHAR) || ' days' AS why
    FROM access_log a
    JOIN users u ON u.user_id = a.user_id
    ANTI JOIN links l
      ON l.user_id = a.user_id AND l.mrn = a.mrn
     AND a.accessed_at >= l.admit_at - $window_days * INTERVAL 1 DAY
     AND a.accessed_at <= l.discharge_at + $window_days * INTERVAL 1 DAY
    WHERE NOT lower(u.role) IN ('him', 'billing', 'registration', 'it')
    UNION ALL
    SELECT a.event_id, a.user_id, a.mrn, a.accessed_at, a.action, a.workstation, u.role,
           u.hired_at, u.terminated_at,
           'operational role, but the patient has no encounter within ' || CAST($purpose_days AS VARCHAR) || ' days' AS why
    FROM access_log a
    JOIN users u ON u.user_id = a.user_id
    ANTI JOIN encounters e
      ON e.mrn = a.mrn
     AND a.accessed_at >= e.admit_at - $purpose_days * INTERVAL 1 DAY
     AND a.accessed_at <= coalesce(e.discharge_at, $as_of) + $purpose_days * INTERVAL 1 DAY
    WHERE lower(u.role) IN ('him', 'billing', 'registration', 'it')
), pairs AS (
    SELECT DISTINCT user_id, mrn FROM unexplained
), identity_pairs AS (
    -- the ACC-002 (self: name + birth date) and ACC-003 (family: last name + address or
    -- phone) linkages, evaluated only for the unexplained (user, patient) pairs
    SELECT x.user_id, x.mrn
    FROM pairs x
    JOIN users r ON r.user_id = x.user_id
    JOIN patients m ON m.mrn = x.mrn
    -- one coalesce()d predicate: kept as a filter on the few candidate pairs, never turned
    -- into a users x patients join on last name by the optimizer
    WHERE coalesce(
        regexp_replace(lower(r.last_name), '[^a-z]', '', 'g') <> ''
          AND regexp_replace(lower(r.last_name), '[^a-z]', '', 'g') = regexp_replace(lower(m.last_name), '[^a-z]', '', 'g')
          AND ((regexp_replace(lower(r.first_name), '[^a-z]', '', 'g') <> ''
                AND regexp_replace(lower(r.first_name), '[^a-z]', '', 'g') = regexp_replace(lower(m.first_name), '[^a-z]', '', 'g')
                AND r.birth_date = m.birth_date)
               OR (regexp_replace(lower(r.address), '[^a-z0-9]', '', 'g') <> ''
                   AND regexp_replace(lower(r.address), '[^a-z0-9]', '', 'g') = regexp_replace(lower(m.address), '[^a-z0-9]', '', 'g'))
               OR (regexp_replace(r.phone, '[^0-9]', '', 'g') <> ''
                   AND regexp_replace(r.phone, '[^0-9]', '', 'g') = regexp_replace(m.phone, '[^0-9]', '', 'g'))),
        false)
), flagged AS (
    SELECT x.event_id, x.user_id, x.mrn, x.accessed_at, x.action, x.workstation, x.role, x.why
    FROM unexplained x
    ANTI JOIN (SELECT mrn FROM patients WHERE is_vip) v ON v.mrn = x.mrn
    ANTI JOIN identity_pairs i ON i.user_id = x.user_id AND i.mrn = x.mrn
    WHERE x.accessed_at >= x.hired_at
      AND (x.terminated_at IS NULL OR x.accessed_at < x.terminated_at)
), nearest AS (
    -- for the investigator: how far the access is from the user's nearest care link, if any
    SELECT x.event_id,
           min(CASE WHEN x.accessed_at < l.admit_at
                    THEN date_diff('day', CAST(x.accessed_at AS DATE), CAST(l.admit_at AS DATE))
                    ELSE date_diff('day', CAST(l.discharge_at AS DATE), CAST(x.accessed_at AS DATE)) END) AS days
    FROM flagged x
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
FROM flagged x
LEFT JOIN nearest n ON n.event_id = x.event_id
