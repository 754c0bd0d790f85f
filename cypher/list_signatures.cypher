// list_signatures: the signatures stored against a record, oldest first.
// params: $record_id
// returns: signature
MATCH (s:Signature {record_id: $record_id})
WITH s
ORDER BY s.signed_at, s.signature_id
RETURN properties(s) AS signature
