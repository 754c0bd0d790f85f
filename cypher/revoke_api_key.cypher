// revoke_api_key: marks one key revoked at the given time.
// params: $key_id, $revoked_at
// returns: api_key
MATCH (k:ApiKey {key_id: $key_id})
SET k.revoked_at = $revoked_at
RETURN properties(k) AS api_key
