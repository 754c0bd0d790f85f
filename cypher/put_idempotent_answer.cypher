// put_idempotent_answer: creates or replaces the stored request and answer of one Idempotency-Key.
// params: $key_hash, $answer (map: key_hash, fingerprint, state, status, body, etag, created_at)
// returns: key_hash
MERGE (a:IdempotentAnswer {key_hash: $key_hash})
SET a = $answer
RETURN a.key_hash AS key_hash
