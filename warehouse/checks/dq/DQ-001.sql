/*---
id: DQ-001
title: Value did not parse as its column's type
family: DQ
severity: medium
kahn: {category: conformance, context: verification}
tables: [audit.load_issues]
record_table: "*"
record_key: "<file>:<row>:<column>"
citation: "Kahn et al. 2016 — value conformance (data type)"
description: >
  A value in an input file that is not a valid date, timestamp, boolean or number for its
  column. The loader kept the row with NULL in that column and recorded the raw value; every
  rule reading the column is blind to it until the source is fixed.
---*/
SELECT li.file || ':' || CAST(li.row_number AS VARCHAR) || ':' || li.column_name AS record_key,
       li.table_name,
       CAST(NULL AS VARCHAR) AS mrn,
       CAST(NULL AS VARCHAR) AS user_id,
       'Value in ' || li.table_name || '.' || li.column_name || ' (' || li.file || ' row '
         || CAST(li.row_number AS VARCHAR) || ') did not parse; loaded as NULL' AS message,
       -- raw values of identity columns are PHI: evidence keeps them out
       to_json(struct_pack(
         file := li.file, row_number := li.row_number, line := li.line,
         column_name := li.column_name, row_key := li.record_key, detail := li.detail,
         raw_value := CASE WHEN li.column_name IN ('first_name', 'middle_name', 'last_name',
                                                   'ssn', 'address', 'phone', 'city', 'zip')
                           THEN '(masked)' ELSE li.raw_value END)) AS evidence
FROM audit.load_issues li
WHERE li.issue = 'unparsable_value'
