/*---
id: MPI-011
title: Implausible patient demographics
family: MPI
severity: medium
kahn: {category: plausibility, context: verification}
tables: [patients]
record_table: patients
record_key: mrn
citation: "Kahn et al. 2016 — temporal plausibility; AHIMA MPI data-quality guidance (core data elements must be valid)"
thresholds:
  max_age_years: 120
description: >
  An MPI row whose birth date is after the as-of date, whose age at the as-of date exceeds
  the maximum (living patients only), or whose death date precedes the birth date.
---*/
WITH ages AS (
    SELECT p.mrn,
           p.birth_date,
           p.death_date,
           -- completed years, exact and portable (counting calendar-year boundaries would add a year before the birthday)
           extract(year FROM $as_of) - extract(year FROM p.birth_date)
             - CASE WHEN extract(month FROM $as_of) * 100 + extract(day FROM $as_of)
                         < extract(month FROM p.birth_date) * 100 + extract(day FROM p.birth_date)
                    THEN 1 ELSE 0 END AS age_years
    FROM patients p
    WHERE p.mrn IS NOT NULL
), problems AS (
    SELECT mrn,
           birth_date > CAST($as_of AS DATE) AS birth_in_future,
           death_date IS NULL AND age_years > $max_age_years AS age_over_maximum,
           death_date IS NOT NULL AND birth_date IS NOT NULL AND death_date < birth_date AS death_before_birth,
           age_years
    FROM ages
)
SELECT mrn AS record_key,
       mrn,
       NULL AS user_id,
       'MRN ' || mrn || ': '
         || CASE WHEN bool_or(birth_in_future) THEN 'birth date after the as-of date'
                 WHEN bool_or(death_before_birth) THEN 'death date before birth date'
                 ELSE 'age ' || CAST(max(age_years) AS VARCHAR) || ' exceeds the maximum' END AS message,
       to_json(struct_pack(
         birth_in_future := bool_or(birth_in_future),
         age_over_maximum := bool_or(age_over_maximum),
         death_before_birth := bool_or(death_before_birth),
         age_years := max(age_years)
       )) AS evidence
FROM problems
WHERE birth_in_future OR age_over_maximum OR death_before_birth
GROUP BY mrn
