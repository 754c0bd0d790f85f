// list_nodes: one keyset page of nodes of any kind, ordered by id.
// $filters holds only scalar property filters; the store re-checks every filter in Python.
// params: $after (the last id of the previous page; '' for the first page), $filters (map), $page_size
// returns: id, kind, name, aliases, props_json
MATCH (n:Node)
WHERE n.id > $after
  AND all(prop IN keys($filters) WHERE n[prop] = $filters[prop])
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.aliases AS aliases, n.props_json AS props_json
ORDER BY n.id
LIMIT $page_size
