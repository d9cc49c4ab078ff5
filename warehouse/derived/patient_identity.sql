-- The MPI's identity, normalised exactly like derived.workforce_identity so the two link.
-- Read by ACC-002 and ACC-003.
CREATE OR REPLACE VIEW derived.patient_identity AS
SELECT mrn,
       regexp_replace(lower(first_name), '[^a-z]', '', 'g') AS fn,
       regexp_replace(lower(last_name), '[^a-z]', '', 'g') AS ln,
       birth_date,
       regexp_replace(lower(address), '[^a-z0-9]', '', 'g') AS addr,
       regexp_replace(phone, '[^0-9]', '', 'g') AS ph
FROM patients
