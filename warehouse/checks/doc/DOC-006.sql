/*---
id: DOC-006
title: History and physical missing, late, or stale without update
family: DOC
severity: high
kahn: {category: completeness, context: validation}
tables: [encounters, notes]
record_table: encounters
record_key: encounter_id
citation: "42 CFR 482.22(c)(5)(i)-(ii) and 482.24(c)(4)(i) — H&P no more than 30 days before or 24 hours after admission; if done before admission, an update within 24 hours after admission"
thresholds:
  after_hours: 24         # latest H&P time after admission
  before_days: 30         # earliest H&P time before admission
  needs_update_hours: 24  # an H&P older than this before admission needs an hp_update
  update_hours: 24        # the update must be written within this many hours after admission
description: >
  An inpatient stay (at least after_hours old at as-of) with no history_physical note written
  between before_days before and after_hours after admission; or whose only such H&P was
  written more than needs_update_hours before admission with no hp_update within update_hours
  after admission.
---*/
WITH stays AS (
    SELECT encounter_id, min(mrn) AS mrn, min(attending_id) AS attending_id, min(admit_at) AS admit_at
    FROM encounters
    WHERE lower(encounter_class) = 'inpatient' AND admit_at IS NOT NULL
    GROUP BY encounter_id
    HAVING min(admit_at) + $after_hours * INTERVAL 1 HOUR <= $as_of
),
docs AS (
    SELECT s.encounter_id,
           coalesce(count_if(n.note_type = 'history_physical'), 0) AS hp_count,
           min(n.created_at) FILTER (WHERE n.note_type = 'history_physical') AS first_hp_at,
           bool_or(n.note_type = 'history_physical'
                   AND n.created_at >= s.admit_at - $needs_update_hours * INTERVAL 1 HOUR
                   AND n.created_at <= s.admit_at + $after_hours * INTERVAL 1 HOUR) AS timely_hp,
           bool_or(n.note_type = 'history_physical'
                   AND n.created_at >= s.admit_at - $before_days * INTERVAL 1 DAY
                   AND n.created_at < s.admit_at - $needs_update_hours * INTERVAL 1 HOUR) AS early_hp,
           bool_or(n.note_type = 'hp_update'
                   AND n.created_at >= s.admit_at
                   AND n.created_at <= s.admit_at + $update_hours * INTERVAL 1 HOUR) AS timely_update
    FROM stays s
    JOIN notes n ON n.encounter_id = s.encounter_id
    WHERE n.note_type IN ('history_physical', 'hp_update')
    GROUP BY s.encounter_id
),
judged AS (
    SELECT s.*, d.first_hp_at, coalesce(d.hp_count, 0) AS hp_count,
           CASE WHEN coalesce(d.hp_count, 0) = 0 THEN 'missing'
                WHEN coalesce(d.timely_hp, false) THEN NULL
                WHEN coalesce(d.early_hp, false) AND coalesce(d.timely_update, false) THEN NULL
                WHEN coalesce(d.early_hp, false) THEN 'no_update'
                WHEN d.first_hp_at > s.admit_at THEN 'late'
                ELSE 'too_early' END AS problem
    FROM stays s
    LEFT JOIN docs d ON d.encounter_id = s.encounter_id
)
SELECT encounter_id AS record_key,
       mrn,
       attending_id AS user_id,
       'Inpatient stay ' || encounter_id || ' admitted ' || strftime(admit_at, '%Y-%m-%d %H:%M') || ': H&P '
         || CASE problem WHEN 'missing' THEN 'missing'
                         WHEN 'no_update' THEN 'done before admission without an update within 24 h'
                         WHEN 'late' THEN 'written more than 24 h after admission'
                         ELSE 'written more than 30 days before admission' END AS message,
       to_json(struct_pack(
         problem := problem,
         admit_at := admit_at,
         first_hp_at := first_hp_at,
         hp_count := hp_count,
         hours_from_admission := floor((epoch(first_hp_at) - epoch(admit_at)) / 3600)
       )) AS evidence
FROM judged
WHERE problem IS NOT NULL
