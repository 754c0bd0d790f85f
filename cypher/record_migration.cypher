// record_migration: notes that one migration ran, so it is not run again.
// params: $version, $migration_name, $applied_at
// returns: version
MERGE (m:Migration {version: $version})
  ON CREATE SET m.name = $migration_name, m.applied_at = $applied_at
RETURN m.version AS version
