// get_idempotent_answer: the stored request and answer of one Idempotency-Key (by its hash).
// params: $key_hash
// returns: answer
MATCH (a:IdempotentAnswer {key_hash: $key_hash})
RETURN properties(a) AS answer
