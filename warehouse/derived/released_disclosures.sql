-- One row per released disclosure with the authorization it cites *if that authorization is
-- on file for the same patient* (an id of another patient's authorization does not count:
-- authorization_on_file is false and the authorization columns are NULL). category_list is
-- the released categories normalised for membership tests: ';labs;hiv;' (lower case, no
-- blanks), so a rule tests LIKE '%;hiv;%'. Read by ROI-003, ROI-004, ROI-005 and ROI-006.
CREATE OR REPLACE VIEW derived.released_disclosures AS
SELECT d.disclosure_id, d.mrn, d.requester_type, d.purpose, d.categories,
       d.requested_at, d.released_at, d.authorization_id,
       concat(';', regexp_replace(lower(d.categories), '\s+', '', 'g'), ';') AS category_list,
       a.authorization_id IS NOT NULL AS authorization_on_file,
       a.signed_at AS authorization_signed_at,
       a.expires_at AS authorization_expires_at,
       a.revoked_at AS authorization_revoked_at,
       a.scope AS authorized_scope,
       a.covers_psychotherapy,
       a.covers_part2
FROM disclosures d
LEFT JOIN authorizations a ON a.authorization_id = d.authorization_id AND a.mrn = d.mrn
WHERE d.released_at IS NOT NULL
