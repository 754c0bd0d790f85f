// set_meta: stores one meta value under its key.
// params: $meta_key, $meta_value
// returns: meta_key
MERGE (m:Meta {key: $meta_key})
SET m.value = $meta_value
RETURN m.key AS meta_key
