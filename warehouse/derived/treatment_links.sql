-- Treatment relationships: one row per (user, patient, stay) where the user was on the
-- encounter's care team or was its attending. discharge_at stays NULL for open stays (a view
-- takes no $as_of; rules coalesce it). Read by ACC-003, ACC-004, ACC-005 and its summary.
CREATE OR REPLACE VIEW derived.treatment_links AS
SELECT ct.user_id, e.mrn, e.admit_at, e.discharge_at
FROM care_team ct JOIN encounters e ON e.encounter_id = ct.encounter_id
UNION ALL
SELECT e.attending_id AS user_id, e.mrn, e.admit_at, e.discharge_at
FROM encounters e WHERE e.attending_id IS NOT NULL
