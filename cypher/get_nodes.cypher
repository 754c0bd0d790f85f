// get_nodes: the stored state of the nodes among a list of ids (missing ids give no row).
// params: $ids
// returns: id, kind, name, aliases, props_json
UNWIND $ids AS wanted
MATCH (n:Node {id: wanted})
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.aliases AS aliases, n.props_json AS props_json
