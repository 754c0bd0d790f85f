// clear_graph: deletes up to $page_size graph nodes, aliases and meta entries with their edges.
// Called until it deletes nothing; keys, the audit trail and migrations stay.
// params: $page_size
// returns: deleted
MATCH (n)
WHERE n:Node OR n:Alias OR n:Meta
WITH n
LIMIT $page_size
DETACH DELETE n
RETURN count(*) AS deleted
