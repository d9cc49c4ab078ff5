-- himaudit canonical tables: the data contract (see DESIGN.md).
--
-- Conventions (the loader and every rule rely on them):
--   * `*_at` columns are TIMESTAMP (ISO-8601 local time, no time zone); `*_date` columns are DATE.
--   * No PRIMARY KEY / UNIQUE / FOREIGN KEY / NOT NULL constraints: duplicate keys, orphan keys
--     and missing values are the defects this tool exists to find, so the warehouse accepts them.
--   * Each table's logical key is documented in its `-- key:` line; the loader parses these
--     annotations (himaudit.contract), so keep the one-column-per-line layout.
--   * A column marked `-- optional` may be absent from an input file (it loads as NULL);
--     every other column is required in any file that supplies the table.
--   * Multi-valued fields (authorizations.scope, disclosures.categories) are ';'-separated.

-- key: mrn (one row per MPI entry; the same MRN twice is finding MPI-001)
CREATE TABLE patients (
    mrn VARCHAR,
    facility_id VARCHAR,          -- optional
    first_name VARCHAR,
    middle_name VARCHAR,          -- optional
    last_name VARCHAR,
    sex VARCHAR,                  -- F / M / X / U
    birth_date DATE,
    death_date DATE,              -- optional
    ssn VARCHAR,                  -- optional; synthetic only: area 900-999
    address VARCHAR,              -- optional
    city VARCHAR,                 -- optional
    state VARCHAR,                -- optional
    zip VARCHAR,                  -- optional
    phone VARCHAR,                -- optional
    registered_at TIMESTAMP,      -- optional
    is_vip BOOLEAN                -- optional
);

-- key: user_id (workforce roster from HR)
CREATE TABLE users (
    user_id VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    birth_date DATE,              -- optional
    address VARCHAR,              -- optional
    city VARCHAR,                 -- optional
    state VARCHAR,                -- optional
    zip VARCHAR,                  -- optional
    phone VARCHAR,                -- optional
    role VARCHAR,                 -- physician, nurse, resident, therapist, him, billing, registration, it, admin
    department VARCHAR,           -- optional
    specialty VARCHAR,            -- optional; E/M peer group for providers
    npi VARCHAR,                  -- optional; 10 digits, providers only
    hired_at TIMESTAMP,
    terminated_at TIMESTAMP       -- optional
);

-- key: encounter_id
CREATE TABLE encounters (
    encounter_id VARCHAR,
    mrn VARCHAR,
    facility_id VARCHAR,          -- optional
    encounter_class VARCHAR,      -- inpatient, outpatient, emergency, observation, ambulatory
    admit_at TIMESTAMP,
    discharge_at TIMESTAMP,       -- optional (NULL = still admitted)
    attending_id VARCHAR,         -- optional; -> users.user_id
    department VARCHAR,           -- optional
    discharge_disposition VARCHAR, -- optional
    reg_birth_date DATE,          -- optional; birth date captured at registration for this visit
    reg_sex VARCHAR               -- optional; sex captured at registration for this visit
);

-- key: encounter_id, user_id (who had a treatment relationship)
CREATE TABLE care_team (
    encounter_id VARCHAR,
    user_id VARCHAR,
    care_role VARCHAR             -- attending, consulting, nurse, resident, therapist, ...
);

-- key: encounter_id:seq (seq 1 = principal)
CREATE TABLE diagnoses (
    encounter_id VARCHAR,
    seq INTEGER,
    code VARCHAR,                 -- ICD-10-CM, with or without the dot
    present_on_admission VARCHAR  -- optional; Y / N / U / W / 1
);

-- key: encounter_id:seq
CREATE TABLE procedures (
    encounter_id VARCHAR,
    seq INTEGER,
    code_system VARCHAR,          -- ICD-10-PCS, CPT, HCPCS
    code VARCHAR,
    modifier VARCHAR,             -- optional
    units INTEGER,                -- optional
    performed_at TIMESTAMP,
    provider_id VARCHAR           -- optional; -> users.user_id
);

-- key: note_id (clinical documents)
CREATE TABLE notes (
    note_id VARCHAR,
    encounter_id VARCHAR,
    mrn VARCHAR,
    note_type VARCHAR,            -- history_physical, hp_update, progress, operative, discharge_summary, consult, verbal_order
    author_id VARCHAR,
    created_at TIMESTAMP,
    signed_at TIMESTAMP,          -- NULL = not signed
    signer_id VARCHAR,
    status VARCHAR                -- draft, signed, amended
);

-- key: event_id (EHR audit trail)
CREATE TABLE access_log (
    event_id VARCHAR,
    user_id VARCHAR,
    mrn VARCHAR,
    accessed_at TIMESTAMP,
    action VARCHAR,               -- view, print, export, modify
    workstation VARCHAR,          -- optional
    break_the_glass BOOLEAN,      -- optional
    btg_reason VARCHAR            -- optional
);

-- key: authorization_id (HIPAA 164.508)
CREATE TABLE authorizations (
    authorization_id VARCHAR,
    mrn VARCHAR,
    signed_at TIMESTAMP,          -- NULL = unsigned
    signer VARCHAR,               -- patient / representative
    recipient VARCHAR,
    purpose VARCHAR,
    scope VARCHAR,                -- ';'-separated information categories
    expires_at TIMESTAMP,         -- optional
    revoked_at TIMESTAMP,         -- optional
    covers_psychotherapy BOOLEAN, -- optional
    covers_part2 BOOLEAN,         -- optional
    element_description BOOLEAN,          -- optional; 164.508(c)(1)(i)
    element_who_discloses BOOLEAN,        -- optional; 164.508(c)(1)(ii)
    element_recipient BOOLEAN,            -- optional; 164.508(c)(1)(iii)
    element_purpose BOOLEAN,              -- optional; 164.508(c)(1)(iv)
    element_expiration BOOLEAN,           -- optional; 164.508(c)(1)(v)
    element_signature_date BOOLEAN,       -- optional; 164.508(c)(1)(vi)
    element_representative_authority BOOLEAN, -- optional; 164.508(c)(1)(vi), needed when signer = representative
    statement_right_to_revoke BOOLEAN,    -- optional; 164.508(c)(2)(i)
    statement_conditioning BOOLEAN,       -- optional; 164.508(c)(2)(ii)
    statement_redisclosure BOOLEAN        -- optional; 164.508(c)(2)(iii)
);

-- key: disclosure_id (release of information)
CREATE TABLE disclosures (
    disclosure_id VARCHAR,
    mrn VARCHAR,
    requester_type VARCHAR,       -- patient, attorney, insurer, provider, court
    requested_at TIMESTAMP,
    released_at TIMESTAMP,        -- optional (NULL = not yet released)
    authorization_id VARCHAR,     -- optional; -> authorizations
    categories VARCHAR,           -- ';'-separated information categories released
    purpose VARCHAR,              -- optional; treatment, payment, legal, personal, insurance, research, ...
    recipient VARCHAR,            -- optional
    extension_noted_at TIMESTAMP  -- optional; 164.524(b)(2) written notice of a 30-day extension
);

-- key: record_id (retention inventory)
CREATE TABLE record_inventory (
    record_id VARCHAR,
    mrn VARCHAR,
    facility_state VARCHAR,       -- two-letter state whose schedule applies
    record_type VARCHAR,          -- medical_record, imaging, billing, ...
    last_activity_at TIMESTAMP,
    destroyed_at TIMESTAMP,       -- optional (NULL = still held)
    destruction_method VARCHAR,   -- optional; certificate field
    destroyed_by VARCHAR,         -- optional; certificate field
    witness VARCHAR               -- optional; certificate field
);

-- key: hold_id
CREATE TABLE legal_holds (
    hold_id VARCHAR,
    mrn VARCHAR,
    started_at TIMESTAMP,
    released_at TIMESTAMP,        -- optional (NULL = still in force)
    matter VARCHAR                -- optional
);

-- key: defect_id (generator only: one row per injected defect; never read by a rule)
CREATE TABLE answer_key (
    defect_id VARCHAR,
    rule_id VARCHAR,
    table_name VARCHAR,
    record_key VARCHAR,
    mrn VARCHAR,                  -- optional
    detail VARCHAR                -- optional
);
