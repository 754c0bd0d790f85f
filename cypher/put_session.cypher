// put_session: stores one login session by the hash of its bearer token.
// params: $session (map: token_hash, user_id, issued_at, expires_at)
// returns: token_hash
CREATE (s:Session)
SET s = $session
RETURN s.token_hash AS token_hash
