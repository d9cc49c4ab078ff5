/*---
id: DOC-009
title: Delinquent record
family: DOC
severity: high
kahn: {category: completeness, context: validation}
tables: [encounters, notes]
record_table: encounters
record_key: encounter_id
citation: "42 CFR 482.24(c)(4)(viii) — medical records completed within 30 days following discharge; legacy Joint Commission IM standard: delinquent records ≤ 50% of average monthly discharges"
thresholds:
  delinquent_days: 30       # days after discharge by which the record must be complete
  lookback_months: 12       # window for average monthly discharges (summary figure)
  alert_rate: 0.5           # legacy delinquency-rate alert (summary figure)
description: >
  An inpatient stay discharged more than delinquent_days before as-of whose record is still
  incomplete: H&P or discharge summary missing, operative note missing for a surgical
  procedure, or any note unsigned (as DOC-001). The run summary publishes the facility
  delinquency rate = delinquent records ÷ average monthly discharges.
---*/
-- the per-stay deficiencies come from derived.inpatient_record_deficiencies; DOC-009.summary.sql
-- counts the same rows, so the published rate matches the records flagged here
SELECT encounter_id AS record_key,
       mrn,
       attending_id AS user_id,
       'Record ' || encounter_id || ' delinquent: discharged ' || strftime(discharge_at, '%Y-%m-%d')
         || ', ' || deficiencies AS message,
       to_json(struct_pack(
         discharge_at := discharge_at,
         days_since_discharge := date_diff('day', CAST(discharge_at AS DATE), CAST($as_of AS DATE)),
         deficiencies := deficiencies,
         unsigned_note_ids := unsigned_ids
       )) AS evidence
FROM derived.inpatient_record_deficiencies
WHERE discharge_at + $delinquent_days * INTERVAL 1 DAY < $as_of
  AND length(deficiencies) > 0
