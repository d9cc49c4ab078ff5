/*---
id: ROI-003
title: Disclosure outside its authorization's validity (before signature, after expiry or revocation)
family: ROI
severity: high
kahn: {category: plausibility, context: validation}
tables: [disclosures, authorizations]
record_table: disclosures
record_key: disclosure_id
citation: "45 CFR 164.508(b)(2)(i) and (iv) — an authorization is not valid once its expiration date has passed or it is known to be revoked; 164.508(b)(5) revocation; 164.508(c)(1)(vi) signature and date"
description: >
  A released disclosure made under an authorization of the same patient, released before that
  authorization was signed, after its expiration date, or at or after its revocation.
---*/
WITH checked AS (
    -- derived.released_disclosures: released, with the cited authorization if on file
    SELECT d.disclosure_id, d.mrn, d.requester_type, d.purpose, d.categories,
           d.requested_at, d.released_at, d.authorization_id,
           d.authorization_signed_at AS signed_at, d.authorization_expires_at AS expires_at,
           d.authorization_revoked_at AS revoked_at,
           d.authorization_signed_at IS NOT NULL AND d.released_at < d.authorization_signed_at
             AS before_signature,
           d.authorization_expires_at IS NOT NULL AND d.released_at > d.authorization_expires_at
             AS after_expiry,
           d.authorization_revoked_at IS NOT NULL AND d.released_at >= d.authorization_revoked_at
             AS after_revocation
    FROM derived.released_disclosures d
    WHERE d.authorization_on_file
)
SELECT c.disclosure_id AS record_key,
       c.mrn,
       NULL AS user_id,
       'Disclosure ' || c.disclosure_id || ' released ' || strftime(c.released_at, '%Y-%m-%d %H:%M')
         || ' ' || concat_ws(', ',
              CASE WHEN c.before_signature THEN 'before authorization ' || c.authorization_id
                   || ' was signed (' || strftime(c.signed_at, '%Y-%m-%d %H:%M') || ')' END,
              CASE WHEN c.after_expiry THEN 'after authorization ' || c.authorization_id
                   || ' expired (' || strftime(c.expires_at, '%Y-%m-%d %H:%M') || ')' END,
              CASE WHEN c.after_revocation THEN 'after authorization ' || c.authorization_id
                   || ' was revoked (' || strftime(c.revoked_at, '%Y-%m-%d %H:%M') || ')' END
            ) AS message,
       to_json(struct_pack(
         authorization_id := c.authorization_id,
         requester_type := c.requester_type,
         purpose := c.purpose,
         requested_at := c.requested_at,
         released_at := c.released_at,
         signed_at := c.signed_at,
         expires_at := c.expires_at,
         revoked_at := c.revoked_at,
         before_signature := c.before_signature,
         after_expiry := c.after_expiry,
         after_revocation := c.after_revocation
       )) AS evidence
FROM checked c
WHERE c.before_signature OR c.after_expiry OR c.after_revocation
