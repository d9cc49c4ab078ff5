/*---
id: COD-009
title: Excludes1 pair coded together
family: COD
severity: medium
kahn: {category: plausibility, context: validation}
tables: [diagnoses]
record_table: diagnoses
record_key: "encounterA:seqA|encounterB:seqB (sorted line keys)"
citation: "ICD-10-CM Official Guidelines I.A.12.a — Excludes1: the two conditions are never coded together"
description: >
  Two billable diagnoses on one encounter where one code's Excludes1 note (its own or
  inherited from its category, block or chapter; ref.icd_excludes1) names the other.
---*/
WITH valid AS (   -- only billable codes: invalid and header codes are COD-001/002's findings
    SELECT d.encounter_id, d.seq, d.code, d.code_norm AS norm, d.mrn
    FROM derived.diagnosis_lines d  -- normalised code + the encounter's MRN
    JOIN ref.icd10cm c ON c.code = d.code_norm AND c.billable
    WHERE d.code IS NOT NULL AND d.seq IS NOT NULL
),
pairs AS (
    SELECT a.encounter_id,
           a.encounter_id || ':' || CAST(a.seq AS VARCHAR) AS key_a,
           b.encounter_id || ':' || CAST(b.seq AS VARCHAR) AS key_b,
           a.code AS code_a, b.code AS code_b, x.note_on, a.mrn
    FROM valid a
    JOIN ref.icd_excludes1 x ON x.code = a.norm
    JOIN valid b
      ON b.encounter_id = a.encounter_id
     AND b.seq <> a.seq
     AND left(b.norm, length(x.target_lo)) >= x.target_lo
     AND left(b.norm, length(x.target_hi)) <= x.target_hi
)
SELECT least(key_a, key_b) || '|' || greatest(key_a, key_b) AS record_key,
       min(p.mrn) AS mrn,
       NULL AS user_id,
       'Excludes1 pair on encounter ' || min(p.encounter_id) || ': ' || min(least(code_a, code_b)) || ' with '
         || min(greatest(code_a, code_b)) AS message,
       to_json(struct_pack(codes := list_sort(list(DISTINCT code_a)),
                           excludes1_note_on := list_sort(list(DISTINCT note_on)))) AS evidence
FROM pairs p
GROUP BY least(key_a, key_b) || '|' || greatest(key_a, key_b)
