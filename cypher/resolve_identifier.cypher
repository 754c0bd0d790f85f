// resolve_identifier: the node an identifier names, as an id or as an alias (exact match).
// params: $identifier
// returns: id, alias_of
OPTIONAL MATCH (n:Node {id: $identifier})
OPTIONAL MATCH (a:Alias {alias: $identifier})
RETURN n.id AS id, a.node_id AS alias_of
