// put_api_key: creates or replaces one API key record (only the key's hash is stored).
// params: $key_id, $record (map: key_id, name, role, key_hash, created_at, revoked_at)
// returns: key_id
MERGE (k:ApiKey {key_id: $key_id})
SET k = $record
RETURN k.key_id AS key_id
