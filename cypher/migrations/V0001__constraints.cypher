// V0001__constraints: the uniqueness constraints every write MERGEs on, and lookup indexes.
// params: none
// returns: nothing
// Rule for migration files: one statement per `;` at the end of a line; `//` lines are comments.
// Every statement is idempotent (IF NOT EXISTS), so a half-applied migration can simply rerun.
CREATE CONSTRAINT node_id IF NOT EXISTS
FOR (n:Node) REQUIRE n.id IS UNIQUE;

CREATE CONSTRAINT alias_value IF NOT EXISTS
FOR (a:Alias) REQUIRE a.alias IS UNIQUE;

CREATE CONSTRAINT api_key_hash IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.key_hash IS UNIQUE;

CREATE CONSTRAINT api_key_id IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.key_id IS UNIQUE;

CREATE CONSTRAINT audit_entry_seq IF NOT EXISTS
FOR (e:AuditEntry) REQUIRE e.seq IS UNIQUE;

CREATE CONSTRAINT audit_head_id IF NOT EXISTS
FOR (h:AuditHead) REQUIRE h.id IS UNIQUE;

CREATE CONSTRAINT meta_key IF NOT EXISTS
FOR (m:Meta) REQUIRE m.key IS UNIQUE;

CREATE CONSTRAINT migration_version IF NOT EXISTS
FOR (m:Migration) REQUIRE m.version IS UNIQUE;

CREATE INDEX node_kind IF NOT EXISTS
FOR (n:Node) ON (n.kind);

CREATE INDEX alias_node IF NOT EXISTS
FOR (a:Alias) ON (a.node_id);
