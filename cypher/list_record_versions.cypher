// list_record_versions: every stored version of a record, oldest first.
// params: $record_id
// returns: record
MATCH (v:RecordVersion {record_id: $record_id})
WITH v
ORDER BY v.version
RETURN properties(v) AS record
