// count_nodes_by_kind: how many graph nodes of each kind the store holds.
// params: none
// returns: kind, total
MATCH (n:Node)
RETURN n.kind AS kind, count(n) AS total
