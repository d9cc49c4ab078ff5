/*---
id: ROI-007
title: Patient access request not fulfilled within 30 days (60 with a documented extension)
family: ROI
severity: medium
kahn: {category: plausibility, context: validation}
tables: [disclosures]
record_table: disclosures
record_key: disclosure_id
citation: "45 CFR 164.524(b)(2) — act on a request for access within 30 days; one extension of up to 30 days if the individual is told in writing, within the first 30 days, why and when"
thresholds:
  response_days: 30    # days to act on the request
  extension_days: 30   # one extension, only with written notice inside response_days
description: >
  A request from the patient for their own record released more than 30 days after it was
  received, or more than 60 days when a written extension notice was given within the first
  30 days; or still unreleased at the as-of date beyond that deadline.
---*/
WITH requests AS (
    SELECT d.*,
           d.extension_noted_at IS NOT NULL
             AND d.extension_noted_at <= d.requested_at + $response_days * INTERVAL 1 DAY
             AS extension_valid
    FROM disclosures d
    WHERE lower(trim(d.requester_type)) = 'patient' AND d.requested_at IS NOT NULL
),
due AS (
    SELECT r.*,
           r.requested_at + CASE WHEN r.extension_valid
                                 THEN ($response_days + $extension_days) * INTERVAL 1 DAY
                                 ELSE $response_days * INTERVAL 1 DAY END AS due_at
    FROM requests r
)
SELECT d.disclosure_id AS record_key,
       d.mrn,
       NULL AS user_id,
       'Patient access request ' || d.disclosure_id || ' received '
         || strftime(d.requested_at, '%Y-%m-%d %H:%M')
         || CASE WHEN d.released_at IS NULL OR d.released_at > $as_of
                 THEN ' still unfulfilled, due ' ELSE ' fulfilled ' || strftime(d.released_at, '%Y-%m-%d %H:%M')
                      || ', due ' END
         || strftime(d.due_at, '%Y-%m-%d %H:%M')
         || CASE WHEN d.extension_valid THEN ' (with extension)'
                 WHEN d.extension_noted_at IS NOT NULL THEN ' (extension noticed too late)'
                 ELSE '' END AS message,
       to_json(struct_pack(
         requested_at := d.requested_at,
         released_at := d.released_at,
         extension_noted_at := d.extension_noted_at,
         extension_valid := d.extension_valid,
         due_at := d.due_at,
         hours_late := floor((epoch(coalesce(d.released_at, $as_of)) - epoch(d.due_at)) / 3600),
         categories := d.categories
       )) AS evidence
FROM due d
WHERE coalesce(d.released_at, $as_of) > d.due_at
