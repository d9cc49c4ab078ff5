/*---
id: MPI-001
title: Same MRN on more than one MPI row
family: MPI
severity: high
kahn: {category: conformance, context: verification}
tables: [patients]
record_table: patients
record_key: mrn
citation: "AHIMA, Fundamentals for Building a Master Patient Index/Enterprise Master Patient Index (2010) — one MRN per person per facility"
description: >
  The master patient index holds two or more rows under one medical record number, so
  every lookup by MRN is ambiguous (which address, which birth date?). One finding per MRN.
---*/
SELECT p.mrn AS record_key,
       p.mrn,
       NULL AS user_id,
       'MRN ' || p.mrn || ' appears on ' || CAST(count(*) AS VARCHAR) || ' MPI rows' AS message,
       to_json(struct_pack(
         mpi_rows := count(*),
         facilities := list_sort(list(DISTINCT coalesce(p.facility_id, '(none)'))),
         birth_dates_differ := count(DISTINCT p.birth_date) > 1,
         sexes_differ := count(DISTINCT p.sex) > 1,
         names_differ := count(DISTINCT concat(p.first_name, '|', p.last_name)) > 1
       )) AS evidence
FROM patients p
WHERE p.mrn IS NOT NULL
GROUP BY p.mrn
HAVING count(*) > 1
