// put_signature: stores one electronic signature (never changed afterwards).
// params: $signature (map: signature_id, record_id, record_version, content_hash, user_id, printed_name, meaning, signed_at, binding)
// returns: signature_id
CREATE (s:Signature)
SET s = $signature
RETURN s.signature_id AS signature_id
