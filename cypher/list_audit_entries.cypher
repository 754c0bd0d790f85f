// list_audit_entries: audit entries after a sequence number, oldest first.
// params: $after_seq, $page_size
// returns: entry
MATCH (e:AuditEntry)
WHERE e.seq > $after_seq
RETURN properties(e) AS entry
ORDER BY e.seq
LIMIT $page_size
