// list_record_links: the graph nodes a record is linked to, by link type then target id.
// params: $record_id
// returns: link_type, target_id
MATCH (r:Record {id: $record_id})-[l:CONCERNS|HOLDS|COVERS|ADDRESSES]->(n:Node)
RETURN type(l) AS link_type, n.id AS target_id
ORDER BY link_type, target_id
