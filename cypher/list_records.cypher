// list_records: the latest version of each record after $after by id, of one kind or any.
// params: $kind, $after, $page_size
// returns: record
MATCH (r:Record)
WHERE ($kind IS NULL OR r.kind = $kind) AND r.id > $after
WITH r
ORDER BY r.id
LIMIT $page_size
MATCH (v:RecordVersion {record_id: r.id, version: r.version})
RETURN properties(v) AS record
ORDER BY v.record_id
