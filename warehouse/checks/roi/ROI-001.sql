/*---
id: ROI-001
title: Disclosure without a required authorization
family: ROI
severity: high
kahn: {category: conformance, context: validation}
tables: [disclosures]
record_table: disclosures
record_key: disclosure_id
citation: "45 CFR 164.508(a)(1) — a valid authorization is required for any disclosure not otherwise permitted; 164.506 (treatment, payment), 164.524 (the individual) and 164.512(e) (court order) are not subject to it"
thresholds:
  exempt_requester_types: "patient,court"   # comma-separated; the individual and court orders
  exempt_purposes: "treatment,payment"      # comma-separated; TPO disclosures (164.506)
description: >
  A released disclosure whose requester type and purpose are not exempt has no authorization
  on file for the same patient (none referenced, or the referenced authorization does not
  exist or belongs to another patient). Exempt requester types and purposes are configurable.
---*/
WITH released AS (
    SELECT d.*,
           d.requester_type IS NOT NULL
             AND concat(',', regexp_replace(lower($exempt_requester_types), '\s+', '', 'g'), ',')
                 LIKE concat('%,', lower(trim(d.requester_type)), ',%') AS exempt_requester,
           d.purpose IS NOT NULL
             AND concat(',', regexp_replace(lower($exempt_purposes), '\s+', '', 'g'), ',')
                 LIKE concat('%,', lower(trim(d.purpose)), ',%') AS exempt_purpose
    FROM disclosures d
    WHERE d.released_at IS NOT NULL
)
SELECT r.disclosure_id AS record_key,
       r.mrn,
       NULL AS user_id,
       'Disclosure ' || r.disclosure_id || ' to ' || coalesce(r.requester_type, 'unknown requester')
         || ' for ' || coalesce(r.purpose, 'unstated purpose') || ' released '
         || strftime(r.released_at, '%Y-%m-%d')
         || CASE WHEN r.authorization_id IS NULL THEN ' with no authorization'
                 ELSE ' citing authorization ' || r.authorization_id || ', not on file for this patient'
            END AS message,
       to_json(struct_pack(
         requester_type := r.requester_type,
         purpose := r.purpose,
         requested_at := r.requested_at,
         released_at := r.released_at,
         categories := r.categories,
         authorization_id_cited := r.authorization_id,
         cited_authorization_patient := (
             SELECT min(a.mrn) FROM authorizations a WHERE a.authorization_id = r.authorization_id)
       )) AS evidence
FROM released r
WHERE NOT coalesce(r.exempt_requester, false)
  AND NOT coalesce(r.exempt_purpose, false)
  AND NOT EXISTS (
      SELECT 1 FROM authorizations a
      WHERE a.authorization_id = r.authorization_id AND a.mrn = r.mrn
  )
