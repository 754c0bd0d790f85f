// lock_writer: takes the store-wide write lock (the audit head) and returns the chain's tip.
// Every write transaction starts here, so writers queue and validate-then-write stays exact.
// params: $head_id, $genesis_hash
// returns: seq, hash
MERGE (h:AuditHead {id: $head_id})
  ON CREATE SET h.seq = 0, h.hash = $genesis_hash
SET h.writes = coalesce(h.writes, 0) + 1
RETURN h.seq AS seq, h.hash AS hash
