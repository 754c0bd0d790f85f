// get_edges: the stored state of edges named by (source, type, target) keys.
// params: $edge_keys (list of maps: source, type, target)
// returns: source_id, rel_type, target_id, qty, unit, props_json
UNWIND $edge_keys AS edge_key
MATCH (a:Node {id: edge_key.source})-[r]->(b:Node {id: edge_key.target})
WHERE type(r) = edge_key.type
RETURN a.id AS source_id, type(r) AS rel_type, b.id AS target_id, r.qty AS qty, r.unit AS unit,
       r.props_json AS props_json
