/*---
id: RET-004
title: Destruction without a complete certificate of destruction
family: RET
severity: medium
kahn: {category: completeness, context: verification}
tables: [record_inventory]
record_table: record_inventory
record_key: record_id
citation: "AHIMA retention and destruction practice: a certificate of destruction records date, description, inclusive dates, method, the person destroying and a witness"
description: >
  A destroyed record whose destruction method, destroyed-by or witness is missing or blank,
  so the destruction cannot be proven.
---*/
WITH destroyed AS (
    SELECT r.*,
           concat_ws(';',
             CASE WHEN nullif(trim(r.destruction_method), '') IS NULL THEN 'destruction_method' END,
             CASE WHEN nullif(trim(r.destroyed_by), '') IS NULL THEN 'destroyed_by' END,
             CASE WHEN nullif(trim(r.witness), '') IS NULL THEN 'witness' END
           ) AS missing_fields
    FROM record_inventory r
    WHERE r.destroyed_at IS NOT NULL
)
SELECT d.record_id AS record_key,
       d.mrn,
       NULL AS user_id,
       'Record ' || d.record_id || ' destroyed ' || strftime(d.destroyed_at, '%Y-%m-%d')
         || ': certificate lacks ' || d.missing_fields AS message,
       to_json(struct_pack(
         record_type := d.record_type,
         destroyed_at := d.destroyed_at,
         destruction_method := d.destruction_method,
         destroyed_by := d.destroyed_by,
         witness := d.witness,
         missing_fields := d.missing_fields
       )) AS evidence
FROM destroyed d
WHERE d.missing_fields <> ''
