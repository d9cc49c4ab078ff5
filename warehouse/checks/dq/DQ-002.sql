/*---
id: DQ-002
title: Malformed CSV row rejected at load
family: DQ
severity: high
kahn: {category: conformance, context: verification}
tables: [audit.load_issues]
record_table: "*"
record_key: "<file>:<line>"
citation: "Kahn et al. 2016 — structural conformance"
description: >
  A CSV line DuckDB's reader rejected (wrong number of fields, unterminated quote, ...). The
  record is missing from the warehouse entirely, so every rule undercounts until it is fixed.
---*/
SELECT li.file || ':' || CAST(min(li.line) AS VARCHAR) AS record_key,
       li.table_name,
       CAST(NULL AS VARCHAR) AS mrn,
       CAST(NULL AS VARCHAR) AS user_id,
       'Line ' || CAST(min(li.line) AS VARCHAR) || ' of ' || li.file
         || ' is malformed and was not loaded' AS message,
       to_json(struct_pack(file := li.file, line := min(li.line),
                           errors := array_to_string(list_sort(list(li.detail)), '; '))) AS evidence
FROM audit.load_issues li
WHERE li.issue = 'malformed_row'
GROUP BY li.file, li.table_name, li.line
