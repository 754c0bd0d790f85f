// page_edges: the outgoing edges of the next page of source nodes (keyset on the source id).
// A source without edges gives one row with a null type, so the caller can move its cursor.
// params: $after (the last source id of the previous page; '' for the first), $page_size (source nodes per page)
// returns: source_id, rel_type, target_id, qty, unit, props_json
MATCH (a:Node)
WHERE a.id > $after
WITH a
ORDER BY a.id
LIMIT $page_size
OPTIONAL MATCH (a)-[r]->(b:Node)
RETURN a.id AS source_id, type(r) AS rel_type, b.id AS target_id, r.qty AS qty, r.unit AS unit,
       r.props_json AS props_json
ORDER BY source_id, rel_type, target_id
