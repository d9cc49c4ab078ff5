-- DOC-009 run-summary figures: the facility delinquency rate (legacy Joint Commission
-- measure: delinquent records / average monthly discharges, alert above alert_rate).
-- delinquent repeats DOC-009.sql's WHERE over the same derived view, so the figure counts
-- exactly the records the rule flags.
WITH delinquent AS (
    SELECT count(*) AS n
    FROM derived.inpatient_record_deficiencies
    WHERE discharge_at + $delinquent_days * INTERVAL 1 DAY < $as_of
      AND length(deficiencies) > 0
),
discharges AS (
    SELECT count(DISTINCT encounter_id) AS n
    FROM encounters
    WHERE lower(encounter_class) = 'inpatient'
      AND discharge_at IS NOT NULL
      AND discharge_at <= $as_of
      AND discharge_at > $as_of - $lookback_months * INTERVAL 1 MONTH
)
SELECT d.n AS delinquent_records,
       round(x.n / nullif(CAST($lookback_months AS DOUBLE), 0), 2) AS avg_monthly_discharges,
       round(d.n / nullif(x.n / nullif(CAST($lookback_months AS DOUBLE), 0), 0), 4) AS delinquency_rate,
       CAST($alert_rate AS DOUBLE) AS delinquency_alert_rate,
       coalesce(d.n / nullif(x.n / nullif(CAST($lookback_months AS DOUBLE), 0), 0) > $alert_rate, false)
         AS delinquency_alert
FROM delinquent d, discharges x
