// get_session: one login session by the hash of its bearer token.
// params: $token_hash
// returns: session
MATCH (s:Session {token_hash: $token_hash})
RETURN properties(s) AS session
