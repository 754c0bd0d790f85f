// get_api_key: the key record whose hash matches, revoked or not.
// params: $key_hash
// returns: api_key
MATCH (k:ApiKey {key_hash: $key_hash})
RETURN properties(k) AS api_key
