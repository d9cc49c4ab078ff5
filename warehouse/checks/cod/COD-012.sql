/*---
id: COD-012
title: Procedure units above the per-day maximum
family: COD
severity: medium
kahn: {category: plausibility, context: validation}
tables: [procedures]
record_table: procedures
record_key: "encounter_id:seq"
citation: "CMS NCCI Medically Unlikely Edits (MUE) — maximum units of service per code per day; limits from ref.procedure_codes"
description: >
  A procedure line whose code's units on that encounter and calendar day add up to more than
  the code's max_units_per_day (each line of the day is reported).
---*/
WITH lines AS (
    SELECT p.encounter_id, p.seq, p.code, p.units, p.provider_id, CAST(p.performed_at AS DATE) AS service_day,
           l.max_units_per_day,
           sum(p.units) OVER (PARTITION BY p.encounter_id, l.code_system, l.code, CAST(p.performed_at AS DATE)) AS day_units
    FROM procedures p
    JOIN ref.procedure_codes l
      ON upper(regexp_replace(l.code_system, '[^A-Za-z0-9]', '', 'g')) = upper(regexp_replace(p.code_system, '[^A-Za-z0-9]', '', 'g'))
     AND upper(CAST(l.code AS VARCHAR)) = upper(regexp_replace(p.code, '[^A-Za-z0-9]', '', 'g'))
    WHERE p.units IS NOT NULL AND l.max_units_per_day IS NOT NULL
)
SELECT s.encounter_id || ':' || CAST(s.seq AS VARCHAR) AS record_key,
       e.mrn,
       s.provider_id AS user_id,
       'Procedure ' || s.code || ' billed ' || CAST(s.day_units AS VARCHAR) || ' units on ' || CAST(s.service_day AS VARCHAR)
         || ' (maximum ' || CAST(s.max_units_per_day AS VARCHAR) || ' per day)' AS message,
       to_json(struct_pack(code := s.code, units := s.units, day_units := s.day_units,
                           max_units_per_day := s.max_units_per_day, service_day := s.service_day)) AS evidence
FROM lines s
LEFT JOIN (SELECT encounter_id, min(mrn) AS mrn FROM encounters GROUP BY encounter_id) e
       ON e.encounter_id = s.encounter_id
WHERE s.day_units > s.max_units_per_day
