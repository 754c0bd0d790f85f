// get_api_key_by_id: the key record with this public key id.
// params: $key_id
// returns: api_key
MATCH (k:ApiKey {key_id: $key_id})
RETURN properties(k) AS api_key
