/*---
id: COD-011
title: Procedure dated outside its encounter
family: COD
severity: medium
kahn: {category: plausibility, context: verification}
tables: [procedures, encounters]
record_table: procedures
record_key: "encounter_id:seq"
citation: "UB-04 / 837I claim rules — procedure dates must fall within the statement covers period (admission to discharge)"
thresholds:
  grace_hours: 0   # tolerance either side of the admission/discharge times
description: >
  A procedure performed before its encounter's admission or after its discharge (by more than
  grace_hours). Encounters still open are only checked against the admission time.
---*/
WITH enc AS (
    SELECT encounter_id, min(mrn) AS mrn, min(admit_at) AS admit_at, max(discharge_at) AS discharge_at
    FROM encounters GROUP BY encounter_id
)
SELECT p.encounter_id || ':' || CAST(p.seq AS VARCHAR) AS record_key,
       e.mrn,
       p.provider_id AS user_id,
       'Procedure ' || p.code || ' on ' || p.encounter_id || ' performed ' || strftime(p.performed_at, '%Y-%m-%d %H:%M')
         || CASE WHEN p.performed_at < e.admit_at THEN ', before admission ' || strftime(e.admit_at, '%Y-%m-%d %H:%M')
                 ELSE ', after discharge ' || strftime(e.discharge_at, '%Y-%m-%d %H:%M') END AS message,
       to_json(struct_pack(code_system := p.code_system, code := p.code, performed_at := p.performed_at,
                           admit_at := e.admit_at, discharge_at := e.discharge_at,
                           minutes_outside := CASE WHEN p.performed_at < e.admit_at
                                                   THEN floor((epoch(e.admit_at) - epoch(p.performed_at)) / 60)
                                                   ELSE floor((epoch(p.performed_at) - epoch(e.discharge_at)) / 60) END)) AS evidence
FROM procedures p
JOIN enc e ON e.encounter_id = p.encounter_id
WHERE p.performed_at IS NOT NULL
  AND (p.performed_at < e.admit_at - $grace_hours * INTERVAL 1 HOUR
       OR p.performed_at > e.discharge_at + $grace_hours * INTERVAL 1 HOUR)
