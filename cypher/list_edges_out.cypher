// list_edges_out: edges leaving any of the given nodes, optionally only of some types.
// params: $ids, $rel_types (list of type names, or null for every type)
// returns: source_id, rel_type, target_id, qty, unit, props_json
UNWIND $ids AS wanted
MATCH (a:Node {id: wanted})-[r]->(b:Node)
WHERE $rel_types IS NULL OR type(r) IN $rel_types
RETURN a.id AS source_id, type(r) AS rel_type, b.id AS target_id, r.qty AS qty, r.unit AS unit,
       r.props_json AS props_json
