// merge_edges: writes edges whose full, already merged state was computed by the store.
// Relationship types cannot be parameters, so each type has its own guarded MERGE.
// params: $rows (list of maps: source, type, target, props = every stored property)
// returns: written
UNWIND $rows AS row
MATCH (a:Node {id: row.source})
MATCH (b:Node {id: row.target})
FOREACH (ignored IN CASE WHEN row.type = 'SUPPLIED' THEN [1] ELSE [] END |
  MERGE (a)-[rel_supplied:SUPPLIED]->(b) SET rel_supplied = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'CONSUMED_BY' THEN [1] ELSE [] END |
  MERGE (a)-[rel_consumed_by:CONSUMED_BY]->(b) SET rel_consumed_by = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'PRODUCED' THEN [1] ELSE [] END |
  MERGE (a)-[rel_produced:PRODUCED]->(b) SET rel_produced = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'HAS_UNIT' THEN [1] ELSE [] END |
  MERGE (a)-[rel_has_unit:HAS_UNIT]->(b) SET rel_has_unit = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'PACKED_IN' THEN [1] ELSE [] END |
  MERGE (a)-[rel_packed_in:PACKED_IN]->(b) SET rel_packed_in = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'SHIPPED_IN' THEN [1] ELSE [] END |
  MERGE (a)-[rel_shipped_in:SHIPPED_IN]->(b) SET rel_shipped_in = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'DELIVERED_TO' THEN [1] ELSE [] END |
  MERGE (a)-[rel_delivered_to:DELIVERED_TO]->(b) SET rel_delivered_to = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'OF' THEN [1] ELSE [] END |
  MERGE (a)-[rel_of:OF]->(b) SET rel_of = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'ON' THEN [1] ELSE [] END |
  MERGE (a)-[rel_on:ON]->(b) SET rel_on = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'SHIPPED_FROM' THEN [1] ELSE [] END |
  MERGE (a)-[rel_shipped_from:SHIPPED_FROM]->(b) SET rel_shipped_from = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'CONCERNS' THEN [1] ELSE [] END |
  MERGE (a)-[rel_concerns:CONCERNS]->(b) SET rel_concerns = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'COVERS' THEN [1] ELSE [] END |
  MERGE (a)-[rel_covers:COVERS]->(b) SET rel_covers = row.props)
FOREACH (ignored IN CASE WHEN row.type = 'ADDRESSES' THEN [1] ELSE [] END |
  MERGE (a)-[rel_addresses:ADDRESSES]->(b) SET rel_addresses = row.props)
RETURN count(*) AS written
