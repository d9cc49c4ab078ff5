/*---
id: RET-002
title: Record destroyed while its patient was under a legal hold
family: RET
severity: critical
kahn: {category: plausibility, context: validation}
tables: [record_inventory, legal_holds]
record_table: record_inventory
record_key: record_id
citation: "Legal hold / litigation hold: a hold suspends destruction regardless of the retention schedule (AHIMA retention practice; Fed. R. Civ. P. 37(e) spoliation of electronically stored information)"
description: >
  A record destroyed at a time when a legal hold on the same patient had started and had not
  yet been released. One finding per record, naming every hold it breached.
---*/
SELECT r.record_id AS record_key,
       r.mrn,
       NULL AS user_id,
       'Record ' || r.record_id || ' (' || coalesce(r.record_type, 'unknown type') || ') destroyed '
         || strftime(r.destroyed_at, '%Y-%m-%d %H:%M') || ' under legal hold '
         || array_to_string(list_sort(list(h.hold_id)), ', ') AS message,
       to_json(struct_pack(
         record_type := r.record_type,
         destroyed_at := r.destroyed_at,
         destruction_method := r.destruction_method,
         destroyed_by := r.destroyed_by,
         hold_ids := list_sort(list(h.hold_id)),
         hold_started_at := min(h.started_at),
         hold_released_at := max(h.released_at),
         hold_still_in_force := bool_or(h.released_at IS NULL)
       )) AS evidence
FROM record_inventory r
JOIN legal_holds h
  ON h.mrn = r.mrn
 AND h.started_at <= r.destroyed_at
 AND (h.released_at IS NULL OR h.released_at > r.destroyed_at)
WHERE r.destroyed_at IS NOT NULL
GROUP BY r.record_id, r.mrn, r.record_type, r.destroyed_at, r.destruction_method, r.destroyed_by
