-- audit.mpi_merge_queue: the HIM data-integrity analyst's MPI queue of the latest scan — one
-- row per item to resolve: duplicate pairs (MPI-002) to merge, clusters (MPI-003), reused
-- MRNs (MPI-001) and suspected overlays (MPI-010, most dangerous first). For duplicates it
-- proposes a surviving MRN the usual way (the record with the most encounters, then the
-- earliest registration) and shows how much history each side holds. No names, SSNs,
-- addresses or phones: the chart is opened by MRN.
CREATE OR REPLACE VIEW audit.mpi_merge_queue AS
WITH latest AS (
    SELECT run_id FROM audit.runs
    WHERE started_at = (SELECT max(started_at) FROM audit.runs)
),
items AS (
    SELECT f.run_id, f.rule_id, f.severity, f.record_key, f.message, f.evidence,
           split_part(f.record_key, '|', 1) AS mrn_a,
           nullif(split_part(f.record_key, '|', 2), '') AS mrn_b,
           try_cast(json_extract_string(f.evidence, '$.match_probability') AS DOUBLE)
             AS match_probability,
           coalesce(try_cast(json_extract_string(f.evidence, '$.cluster_size') AS INTEGER), 1)
             AS cluster_size
    FROM audit.findings f
    JOIN latest l ON l.run_id = f.run_id
    WHERE f.rule_id IN ('MPI-001', 'MPI-002', 'MPI-003', 'MPI-010')
),
history AS (
    SELECT p.mrn,
           min(p.registered_at) AS registered_at,
           (SELECT count(*) FROM encounters e WHERE e.mrn = p.mrn) AS encounters,
           (SELECT max(e.admit_at) FROM encounters e WHERE e.mrn = p.mrn) AS last_admit_at
    FROM patients p
    GROUP BY p.mrn
)
SELECT i.run_id,
       CASE i.rule_id WHEN 'MPI-010' THEN 1 WHEN 'MPI-001' THEN 2 WHEN 'MPI-003' THEN 3
                      ELSE 4 END AS priority,
       CASE i.rule_id WHEN 'MPI-010' THEN 'overlay: split the other person''s visits out'
                      WHEN 'MPI-001' THEN 'reused MRN: keep one MPI row'
                      WHEN 'MPI-003' THEN 'cluster: merge all MRNs into one'
                      ELSE 'duplicate: merge the pair' END AS action,
       i.rule_id, i.severity, i.record_key, i.mrn_a, i.mrn_b, i.match_probability,
       i.cluster_size,
       ha.encounters AS encounters_a, hb.encounters AS encounters_b,
       ha.last_admit_at AS last_admit_a, hb.last_admit_at AS last_admit_b,
       CASE WHEN i.rule_id = 'MPI-002' THEN
            CASE WHEN coalesce(hb.encounters, 0) > coalesce(ha.encounters, 0) THEN i.mrn_b
                 WHEN coalesce(hb.encounters, 0) < coalesce(ha.encounters, 0) THEN i.mrn_a
                 WHEN hb.registered_at < ha.registered_at THEN i.mrn_b
                 ELSE i.mrn_a END
       END AS proposed_survivor,
       i.message
FROM items i
LEFT JOIN history ha ON ha.mrn = i.mrn_a
LEFT JOIN history hb ON hb.mrn = i.mrn_b
ORDER BY priority, match_probability DESC NULLS LAST, record_key
