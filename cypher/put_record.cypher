// put_record: stores a new version of a record (never over an old one) and moves its head there.
// The head (:Record) carries the record's links; a duplicate version_key is refused by a constraint.
// params: $record (map: record_id, version, kind, state, data_json, content_hash, created_by, created_at, updated_by, updated_at), $version_key
// returns: version
MERGE (r:Record {id: $record.record_id})
SET r.kind = $record.kind, r.version = $record.version, r.state = $record.state
CREATE (v:RecordVersion)
SET v = $record, v.version_key = $version_key
RETURN v.version AS version
