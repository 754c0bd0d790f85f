// link_record: links a record's head to a graph node by the link's own relationship type.
// params: $record_id, $target_id, $link_type
// returns: linked
MATCH (r:Record {id: $record_id})
OPTIONAL MATCH (n:Node {id: $target_id})
FOREACH (_ IN CASE WHEN n IS NOT NULL AND $link_type = 'CONCERNS' THEN [1] ELSE [] END |
  MERGE (r)-[:CONCERNS]->(n))
FOREACH (_ IN CASE WHEN n IS NOT NULL AND $link_type = 'HOLDS' THEN [1] ELSE [] END |
  MERGE (r)-[:HOLDS]->(n))
FOREACH (_ IN CASE WHEN n IS NOT NULL AND $link_type = 'COVERS' THEN [1] ELSE [] END |
  MERGE (r)-[:COVERS]->(n))
FOREACH (_ IN CASE WHEN n IS NOT NULL AND $link_type = 'ADDRESSES' THEN [1] ELSE [] END |
  MERGE (r)-[:ADDRESSES]->(n))
RETURN n IS NOT NULL AS linked
