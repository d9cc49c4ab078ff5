-- One row per diagnosis line with its code normalised for reference look-ups (upper case,
-- dot and blanks removed: 'e11.9 ' -> 'E119', the form of ref.icd10cm.code) and the
-- encounter's patient (min(mrn): one MRN even if the encounter row is duplicated; NULL for
-- an orphan line). Read by the diagnosis-code rules COD-001..009.
CREATE OR REPLACE VIEW derived.diagnosis_lines AS
SELECT d.encounter_id, d.seq, d.code, d.present_on_admission,
       upper(regexp_replace(d.code, '[^A-Za-z0-9]', '', 'g')) AS code_norm,
       e.mrn
FROM diagnoses d
LEFT JOIN (SELECT encounter_id, min(mrn) AS mrn FROM encounters GROUP BY encounter_id) e
       ON e.encounter_id = d.encounter_id
