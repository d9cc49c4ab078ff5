/*---
id: ROI-006
title: Substance-use (42 CFR Part 2) records released without Part 2 consent
family: ROI
severity: critical
kahn: {category: conformance, context: validation}
tables: [disclosures]
record_table: disclosures
record_key: disclosure_id
citation: "42 CFR Part 2 §2.31 — written consent with the required elements before disclosing Part 2 substance-use records (also for treatment and payment); §2.23 patient access"
thresholds:
  category: "substance_use"            # the information category holding Part 2 records
  exempt_requester_types: "patient"    # comma-separated; §2.23: the patient's own access
description: >
  A released disclosure whose categories include substance-use (Part 2) records but which
  cites no authorization of the same patient marked as Part 2 consent. Only the patient's own
  requests are exempt by default; treatment and payment still need consent.
---*/
SELECT d.disclosure_id AS record_key,
       d.mrn,
       NULL AS user_id,
       'Disclosure ' || d.disclosure_id || ' to ' || coalesce(d.requester_type, 'unknown requester')
         || ' released Part 2 substance-use records '
         || CASE WHEN NOT d.authorization_on_file THEN 'without any consent of this patient'
                 ELSE 'under authorization ' || d.authorization_id
                      || ', which is not a Part 2 consent' END AS message,
       to_json(struct_pack(
         requester_type := d.requester_type,
         purpose := d.purpose,
         released_at := d.released_at,
         categories_released := d.categories,
         authorization_id := d.authorization_id,
         authorization_on_file := d.authorization_on_file,
         covers_part2 := d.covers_part2,
         authorized_scope := d.authorized_scope
       )) AS evidence
FROM derived.released_disclosures d  -- released, with the cited authorization if on file
WHERE d.category_list LIKE concat('%;', lower($category), ';%')
  AND d.covers_part2 IS NOT TRUE
  AND NOT (d.requester_type IS NOT NULL
           AND concat(',', regexp_replace(lower($exempt_requester_types), '\s+', '', 'g'), ',')
               LIKE concat('%,', lower(trim(d.requester_type)), ',%'))
