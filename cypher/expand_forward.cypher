// expand_forward: one level of a where-used walk: the flow successors of a frontier.
// One hop only; the store keeps the visited set, so no path is ever enumerated.
// params: $frontier (list of node ids)
// returns: id, kind
UNWIND $frontier AS frontier_id
MATCH (:Node {id: frontier_id})-[:SUPPLIED|CONSUMED_BY|PRODUCED|HAS_UNIT|PACKED_IN|SHIPPED_IN|DELIVERED_TO]->(m:Node)
RETURN DISTINCT m.id AS id, m.kind AS kind
