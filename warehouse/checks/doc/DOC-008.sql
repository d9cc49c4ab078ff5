/*---
id: DOC-008
title: Operative note missing for a surgical procedure
family: DOC
severity: high
kahn: {category: completeness, context: validation}
tables: [procedures, notes]
record_table: encounters
record_key: encounter_id
citation: "42 CFR 482.51(b)(6) and 482.24(c)(4)(vi) — an operative report describing techniques, findings and tissues removed, written or dictated immediately after surgery"
thresholds:
  due_hours: 24   # hours after the procedure before a missing note counts
description: >
  An encounter with a surgical procedure (listed as surgical in ref.procedure_codes, or an
  ICD-10-PCS Medical and Surgical code whose root operation is in
  ref.procedure_pcs_surgical_roots) performed at least due_hours before as-of, and no
  operative note on the encounter.
---*/
WITH proc AS (
    SELECT p.encounter_id, p.seq, p.provider_id, p.performed_at,
           upper(regexp_replace(p.code_system, '[^A-Za-z0-9]', '', 'g')) AS sys,
           upper(regexp_replace(p.code, '[^A-Za-z0-9]', '', 'g')) AS code
    FROM procedures p
    WHERE p.code IS NOT NULL AND p.performed_at IS NOT NULL
),
listed AS (
    SELECT upper(regexp_replace(code_system, '[^A-Za-z0-9]', '', 'g')) AS sys,
           upper(CAST(code AS VARCHAR)) AS code, surgical
    FROM ref.procedure_codes
),
surgical AS (
    SELECT p.*
    FROM proc p
    LEFT JOIN listed l ON l.sys = p.sys AND l.code = p.code
    WHERE coalesce(l.surgical, false)
       OR (l.code IS NULL AND p.sys = 'ICD10PCS' AND substr(p.code, 1, 1) = '0'
           AND substr(p.code, 3, 1) IN (SELECT CAST(root_operation AS VARCHAR) FROM ref.procedure_pcs_surgical_roots))
)
SELECT s.encounter_id AS record_key,
       min(e.mrn) AS mrn,
       min(s.provider_id) AS user_id,
       'Encounter ' || s.encounter_id || ': surgical procedure ' || min(s.code) || ' on '
         || strftime(min(s.performed_at), '%Y-%m-%d') || ' has no operative note' AS message,
       to_json(struct_pack(
         procedure_codes := list_sort(list(s.code)),
         first_performed_at := min(s.performed_at),
         providers := list_sort(list(DISTINCT s.provider_id))
       )) AS evidence
FROM surgical s
LEFT JOIN encounters e ON e.encounter_id = s.encounter_id
WHERE s.performed_at + $due_hours * INTERVAL 1 HOUR <= $as_of
  AND NOT EXISTS (
      SELECT 1 FROM notes n WHERE n.encounter_id = s.encounter_id AND n.note_type = 'operative'
  )
GROUP BY s.encounter_id
