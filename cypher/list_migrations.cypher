// list_migrations: the schema migrations already applied to this database.
// params: none
// returns: version, name, applied_at
MATCH (m:Migration)
RETURN m.version AS version, m.name AS name, m.applied_at AS applied_at
ORDER BY m.version
