// merge_nodes: writes nodes whose full, already merged state was computed by the store.
// Each row replaces the node's properties; the kind label is added alongside :Node.
// params: $rows (list of maps: id, kind, props = every stored property, id and kind included)
// returns: written
UNWIND $rows AS row
MERGE (n:Node {id: row.id})
SET n = row.props
FOREACH (ignored IN CASE WHEN row.kind = 'Supplier' THEN [1] ELSE [] END | SET n:Supplier)
FOREACH (ignored IN CASE WHEN row.kind = 'Material' THEN [1] ELSE [] END | SET n:Material)
FOREACH (ignored IN CASE WHEN row.kind = 'Lot' THEN [1] ELSE [] END | SET n:Lot)
FOREACH (ignored IN CASE WHEN row.kind = 'Unit' THEN [1] ELSE [] END | SET n:Unit)
FOREACH (ignored IN CASE WHEN row.kind = 'Container' THEN [1] ELSE [] END | SET n:Container)
FOREACH (ignored IN CASE WHEN row.kind = 'ProcessStep' THEN [1] ELSE [] END | SET n:ProcessStep)
FOREACH (ignored IN CASE WHEN row.kind = 'Equipment' THEN [1] ELSE [] END | SET n:Equipment)
FOREACH (ignored IN CASE WHEN row.kind = 'Inspection' THEN [1] ELSE [] END | SET n:Inspection)
FOREACH (ignored IN CASE WHEN row.kind = 'Shipment' THEN [1] ELSE [] END | SET n:Shipment)
FOREACH (ignored IN CASE WHEN row.kind = 'Customer' THEN [1] ELSE [] END | SET n:Customer)
FOREACH (ignored IN CASE WHEN row.kind = 'Anomaly' THEN [1] ELSE [] END | SET n:Anomaly)
FOREACH (ignored IN CASE WHEN row.kind = 'Hold' THEN [1] ELSE [] END | SET n:Hold)
FOREACH (ignored IN CASE WHEN row.kind = 'Recall' THEN [1] ELSE [] END | SET n:Recall)
FOREACH (ignored IN CASE WHEN row.kind = 'Capa' THEN [1] ELSE [] END | SET n:Capa)
RETURN count(n) AS written
