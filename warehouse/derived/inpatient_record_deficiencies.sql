-- One row per discharged inpatient stay with what its record still lacks: H&P or discharge
-- summary missing, operative note missing for a surgical procedure, unsigned notes (as
-- DOC-001). deficiencies is '' for a complete record. Independent of the as-of date: DOC-009
-- and its summary figure apply the delinquent_days window themselves.
CREATE OR REPLACE VIEW derived.inpatient_record_deficiencies AS
WITH stays AS (
    SELECT encounter_id, min(mrn) AS mrn, min(attending_id) AS attending_id, min(discharge_at) AS discharge_at
    FROM encounters
    WHERE lower(encounter_class) = 'inpatient' AND discharge_at IS NOT NULL
    GROUP BY encounter_id
),
doc AS (
    SELECT s.encounter_id,
           coalesce(count_if(n.note_type = 'history_physical'), 0) AS hp,
           coalesce(count_if(n.note_type = 'discharge_summary'), 0) AS ds,
           coalesce(count_if(n.note_type = 'operative'), 0) AS op,
           coalesce(count_if(n.note_id IS NOT NULL
                    AND (n.signed_at IS NULL OR n.signer_id IS NULL
                         OR coalesce(lower(n.status), 'draft') NOT IN ('signed', 'amended'))), 0) AS unsigned,
           list_sort(list(n.note_id) FILTER (WHERE n.note_id IS NOT NULL
                    AND (n.signed_at IS NULL OR n.signer_id IS NULL
                         OR coalesce(lower(n.status), 'draft') NOT IN ('signed', 'amended')))) AS unsigned_ids
    FROM stays s
    LEFT JOIN notes n ON n.encounter_id = s.encounter_id
    GROUP BY s.encounter_id
),
surg AS (
    SELECT DISTINCT p.encounter_id
    FROM procedures p
    LEFT JOIN ref.procedure_codes l
      ON upper(regexp_replace(l.code_system, '[^A-Za-z0-9]', '', 'g')) = upper(regexp_replace(p.code_system, '[^A-Za-z0-9]', '', 'g'))
     AND upper(CAST(l.code AS VARCHAR)) = upper(regexp_replace(p.code, '[^A-Za-z0-9]', '', 'g'))
    WHERE coalesce(l.surgical, false)
       OR (l.code IS NULL AND upper(regexp_replace(p.code_system, '[^A-Za-z0-9]', '', 'g')) = 'ICD10PCS'
           AND substr(upper(p.code), 1, 1) = '0'
           AND substr(upper(p.code), 3, 1) IN (SELECT CAST(root_operation AS VARCHAR) FROM ref.procedure_pcs_surgical_roots))
)
SELECT s.encounter_id, s.mrn, s.attending_id, s.discharge_at, d.unsigned, d.unsigned_ids,
       -- concat_ws skips NULLs: only the deficiencies present are listed
       concat_ws('; ',
                 CASE WHEN d.hp = 0 THEN 'history_physical missing' END,
                 CASE WHEN d.ds = 0 THEN 'discharge_summary missing' END,
                 CASE WHEN g.encounter_id IS NOT NULL AND d.op = 0 THEN 'operative note missing' END,
                 CASE WHEN d.unsigned > 0 THEN CAST(d.unsigned AS VARCHAR) || ' unsigned note(s)' END)
         AS deficiencies
FROM stays s
JOIN doc d ON d.encounter_id = s.encounter_id
LEFT JOIN surg g ON g.encounter_id = s.encounter_id
