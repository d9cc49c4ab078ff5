/*---
id: ROI-002
title: Authorization missing a required element or statement, or unsigned
family: ROI
severity: high
kahn: {category: completeness, context: verification}
tables: [authorizations]
record_table: authorizations
record_key: authorization_id
citation: "45 CFR 164.508(c)(1) core elements (description, who discloses, recipient, purpose, expiration, signature and date, representative authority) and 164.508(c)(2) required statements (right to revoke, conditioning, redisclosure); 164.508(b)(2) — a defective authorization is not valid"
description: >
  An authorization form that lacks any core element or required statement, is not signed
  and dated, or is signed by a personal representative without a description of that
  person's authority. An element not recorded as present (false or empty) counts as missing.
---*/
WITH checked AS (
    SELECT a.*,
           a.signed_at IS NULL OR nullif(trim(a.signer), '') IS NULL AS unsigned,
           concat_ws(';',
             CASE WHEN a.element_description IS NOT TRUE THEN 'description' END,
             CASE WHEN a.element_who_discloses IS NOT TRUE THEN 'who_discloses' END,
             CASE WHEN a.element_recipient IS NOT TRUE THEN 'recipient' END,
             CASE WHEN a.element_purpose IS NOT TRUE THEN 'purpose' END,
             CASE WHEN a.element_expiration IS NOT TRUE THEN 'expiration' END,
             CASE WHEN a.element_signature_date IS NOT TRUE THEN 'signature_date' END,
             CASE WHEN lower(trim(a.signer)) = 'representative'
                       AND a.element_representative_authority IS NOT TRUE
                  THEN 'representative_authority' END
           ) AS missing_elements,
           concat_ws(';',
             CASE WHEN a.statement_right_to_revoke IS NOT TRUE THEN 'right_to_revoke' END,
             CASE WHEN a.statement_conditioning IS NOT TRUE THEN 'conditioning' END,
             CASE WHEN a.statement_redisclosure IS NOT TRUE THEN 'redisclosure' END
           ) AS missing_statements
    FROM authorizations a
)
SELECT c.authorization_id AS record_key,
       c.mrn,
       NULL AS user_id,
       'Authorization ' || c.authorization_id || ' is not valid: '
         || concat_ws('; ',
              CASE WHEN c.unsigned THEN 'not signed' END,
              CASE WHEN c.missing_elements <> '' THEN 'missing element(s) ' || c.missing_elements END,
              CASE WHEN c.missing_statements <> '' THEN 'missing statement(s) ' || c.missing_statements END
            ) AS message,
       to_json(struct_pack(
         signed_at := c.signed_at,
         signer := c.signer,
         purpose := c.purpose,
         scope := c.scope,
         expires_at := c.expires_at,
         unsigned := c.unsigned,
         missing_elements := c.missing_elements,
         missing_statements := c.missing_statements
       )) AS evidence
FROM checked c
WHERE c.unsigned OR c.missing_elements <> '' OR c.missing_statements <> ''
