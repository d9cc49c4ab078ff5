-- The workforce roster's identity, normalised for linkage to the MPI (lower case, letters
-- only in names, letters and digits in the address, digits in the phone). Read by ACC-002
-- (self-access) and ACC-003 (household access), which must link identically.
CREATE OR REPLACE VIEW derived.workforce_identity AS
SELECT user_id, role,
       regexp_replace(lower(first_name), '[^a-z]', '', 'g') AS fn,
       regexp_replace(lower(last_name), '[^a-z]', '', 'g') AS ln,
       birth_date,
       regexp_replace(lower(address), '[^a-z0-9]', '', 'g') AS addr,
       regexp_replace(phone, '[^0-9]', '', 'g') AS ph
FROM users
