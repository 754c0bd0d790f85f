// get_record: one version of a record, the latest when $version is null.
// params: $record_id, $version
// returns: record
MATCH (v:RecordVersion {record_id: $record_id})
WHERE $version IS NULL OR v.version = $version
WITH v
ORDER BY v.version DESC
LIMIT 1
RETURN properties(v) AS record
