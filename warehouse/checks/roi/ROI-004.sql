/*---
id: ROI-004
title: Information released beyond the authorization's scope
family: ROI
severity: high
kahn: {category: plausibility, context: validation}
tables: [disclosures, authorizations]
record_table: disclosures
record_key: disclosure_id
citation: "45 CFR 164.508(c)(1)(i) — the authorization describes the information to be disclosed; 164.502(b) minimum necessary; anything released beyond that description is released without authorization"
thresholds:
  exempt_requester_types: "patient,court"   # same meaning as ROI-001: no authorization needed
  exempt_purposes: "treatment,payment"
description: >
  A released disclosure that needs an authorization and cites one of the same patient, but
  whose released information categories include at least one category the authorization's
  scope does not list.
---*/
WITH authorized AS (
    -- derived.released_disclosures: released, with the cited authorization if on file
    SELECT d.disclosure_id, d.mrn, d.requester_type, d.purpose, d.categories,
           d.requested_at, d.released_at, d.authorization_id, d.authorized_scope AS scope
    FROM derived.released_disclosures d
    WHERE d.authorization_on_file
      AND NOT (d.requester_type IS NOT NULL
               AND concat(',', regexp_replace(lower($exempt_requester_types), '\s+', '', 'g'), ',')
                   LIKE concat('%,', lower(trim(d.requester_type)), ',%'))
      AND NOT (d.purpose IS NOT NULL
               AND concat(',', regexp_replace(lower($exempt_purposes), '\s+', '', 'g'), ',')
                   LIKE concat('%,', lower(trim(d.purpose)), ',%'))
),
released_category AS (
    SELECT z.*, lower(trim(u.category)) AS category
    FROM authorized z
    CROSS JOIN unnest(string_split(z.categories, ';')) AS u(category)
),
beyond AS (
    SELECT r.disclosure_id, r.mrn, r.requester_type, r.purpose, r.categories, r.requested_at,
           r.released_at, r.authorization_id, r.scope,
           array_to_string(list_sort(list(DISTINCT r.category)), ';') AS beyond_scope
    FROM released_category r
    WHERE r.category <> ''
      AND concat(';', regexp_replace(lower(coalesce(r.scope, '')), '\s+', '', 'g'), ';')
          NOT LIKE concat('%;', r.category, ';%')
    GROUP BY ALL
)
SELECT b.disclosure_id AS record_key,
       b.mrn,
       NULL AS user_id,
       'Disclosure ' || b.disclosure_id || ' released ' || b.beyond_scope
         || ' beyond the scope of authorization ' || b.authorization_id AS message,
       to_json(struct_pack(
         authorization_id := b.authorization_id,
         requester_type := b.requester_type,
         purpose := b.purpose,
         released_at := b.released_at,
         categories_released := b.categories,
         authorized_scope := b.scope,
         beyond_scope := b.beyond_scope
       )) AS evidence
FROM beyond b
