// count_edges_by_type: how many edges of each type connect graph nodes.
// params: none
// returns: rel_type, total
MATCH (:Node)-[r]->(:Node)
RETURN type(r) AS rel_type, count(r) AS total
