// V0003__idempotency: one stored answer per Idempotency-Key hash.
// params: none
// returns: nothing
CREATE CONSTRAINT idempotent_answer_key IF NOT EXISTS
FOR (a:IdempotentAnswer) REQUIRE a.key_hash IS UNIQUE;
