// get_aliases: which node each of the given aliases already names (unknown aliases give no row).
// params: $alias_names
// returns: alias_name, node_id
UNWIND $alias_names AS wanted
MATCH (a:Alias {alias: wanted})
RETURN a.alias AS alias_name, a.node_id AS node_id
