/*---
id: DQ-020
title: Duplicate key value in a table other than the MPI
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [users, encounters, care_team, diagnoses, procedures, notes, access_log, authorizations, disclosures, record_inventory, legal_holds]
applies_when: any
record_table: "*"
record_key: the duplicated key value (encounter_id:seq for line tables)
citation: "Kahn et al. 2016 — relational conformance (uniqueness); OHDSI DQD isPrimaryKey"
description: >
  The same key value on more than one row of a table (one finding per duplicated value). Every
  join on that key counts the record twice. Duplicate MRNs in the MPI are MPI-001's business.
---*/
WITH dup AS (
    SELECT 'users' AS table_name, CAST(user_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM users WHERE user_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'encounters' AS table_name, CAST(encounter_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM encounters WHERE encounter_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'care_team' AS table_name, CAST(encounter_id AS VARCHAR) || ':' || CAST(user_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM care_team WHERE encounter_id IS NOT NULL AND user_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'diagnoses' AS table_name, CAST(encounter_id AS VARCHAR) || ':' || CAST(seq AS VARCHAR) AS record_key, count(*) AS copies
    FROM diagnoses WHERE encounter_id IS NOT NULL AND seq IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'procedures' AS table_name, CAST(encounter_id AS VARCHAR) || ':' || CAST(seq AS VARCHAR) AS record_key, count(*) AS copies
    FROM procedures WHERE encounter_id IS NOT NULL AND seq IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'notes' AS table_name, CAST(note_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM notes WHERE note_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'access_log' AS table_name, CAST(event_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM access_log WHERE event_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'authorizations' AS table_name, CAST(authorization_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM authorizations WHERE authorization_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'disclosures' AS table_name, CAST(disclosure_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM disclosures WHERE disclosure_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'record_inventory' AS table_name, CAST(record_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM record_inventory WHERE record_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'legal_holds' AS table_name, CAST(hold_id AS VARCHAR) AS record_key, count(*) AS copies
    FROM legal_holds WHERE hold_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1
)
SELECT record_key,
       table_name,
       CAST(NULL AS VARCHAR) AS mrn,
       CAST(NULL AS VARCHAR) AS user_id,
       'Key ' || record_key || ' appears ' || CAST(copies AS VARCHAR) || ' times in '
         || table_name AS message,
       to_json(struct_pack(copies := copies)) AS evidence
FROM dup
