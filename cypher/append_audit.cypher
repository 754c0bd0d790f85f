// append_audit: stores one chained audit entry and moves the audit head to it.
// Runs after lock_writer in the same transaction.
// params: $head_id, $entry (map: seq, at, actor, action, entity_kind, entity_id, old_json, new_json, reason, prev_hash, hash)
// returns: seq
MATCH (h:AuditHead {id: $head_id})
CREATE (e:AuditEntry)
SET e = $entry
SET h.seq = e.seq, h.hash = e.hash
RETURN e.seq AS seq
