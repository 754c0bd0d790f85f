// get_meta: the value stored under one meta key (null when absent).
// params: $meta_key
// returns: meta_value
OPTIONAL MATCH (m:Meta {key: $meta_key})
RETURN m.value AS meta_value
