// merge_aliases: records aliases (exact-match lookup through the alias_value constraint).
// params: $rows (list of maps: alias, node_id)
// returns: written
UNWIND $rows AS row
MERGE (a:Alias {alias: row.alias})
  ON CREATE SET a.node_id = row.node_id
RETURN count(a) AS written
