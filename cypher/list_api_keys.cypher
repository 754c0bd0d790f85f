// list_api_keys: every key record, oldest first.
// params: none
// returns: api_key
MATCH (k:ApiKey)
RETURN properties(k) AS api_key
ORDER BY k.created_at, k.key_id
