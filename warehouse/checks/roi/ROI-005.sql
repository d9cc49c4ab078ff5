/*---
id: ROI-005
title: Psychotherapy notes released without a psychotherapy-specific authorization
family: ROI
severity: critical
kahn: {category: conformance, context: validation}
tables: [disclosures]
record_table: disclosures
record_key: disclosure_id
citation: "45 CFR 164.508(a)(2) — psychotherapy notes need an authorization of their own, for any requester (164.508(b)(3)(ii): not combined with other authorizations)"
thresholds:
  category: "psychotherapy_notes"   # the information category that holds psychotherapy notes
description: >
  A released disclosure whose categories include psychotherapy notes but which cites no
  authorization of the same patient marked as covering psychotherapy notes. Treatment and
  patient requests are not exempt.
---*/
SELECT d.disclosure_id AS record_key,
       d.mrn,
       NULL AS user_id,
       'Disclosure ' || d.disclosure_id || ' to ' || coalesce(d.requester_type, 'unknown requester')
         || ' released psychotherapy notes '
         || CASE WHEN NOT d.authorization_on_file THEN 'without any authorization of this patient'
                 ELSE 'under authorization ' || d.authorization_id
                      || ', which is not psychotherapy-specific' END AS message,
       to_json(struct_pack(
         requester_type := d.requester_type,
         purpose := d.purpose,
         released_at := d.released_at,
         categories_released := d.categories,
         authorization_id := d.authorization_id,
         authorization_on_file := d.authorization_on_file,
         covers_psychotherapy := d.covers_psychotherapy,
         authorized_scope := d.authorized_scope
       )) AS evidence
FROM derived.released_disclosures d  -- released, with the cited authorization if on file
WHERE d.category_list LIKE concat('%;', lower($category), ';%')
  AND d.covers_psychotherapy IS NOT TRUE
