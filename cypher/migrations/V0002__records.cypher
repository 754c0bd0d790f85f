// V0002__records: constraints and indexes of records, signatures, users and sessions.
// params: none
// returns: nothing
CREATE CONSTRAINT record_id IF NOT EXISTS
FOR (r:Record) REQUIRE r.id IS UNIQUE;

CREATE CONSTRAINT record_version_key IF NOT EXISTS
FOR (v:RecordVersion) REQUIRE v.version_key IS UNIQUE;

CREATE CONSTRAINT signature_id IF NOT EXISTS
FOR (s:Signature) REQUIRE s.signature_id IS UNIQUE;

CREATE CONSTRAINT user_id IF NOT EXISTS
FOR (u:User) REQUIRE u.user_id IS UNIQUE;

CREATE CONSTRAINT user_username IF NOT EXISTS
FOR (u:User) REQUIRE u.username IS UNIQUE;

CREATE CONSTRAINT session_token IF NOT EXISTS
FOR (s:Session) REQUIRE s.token_hash IS UNIQUE;

CREATE INDEX record_version_record IF NOT EXISTS
FOR (v:RecordVersion) ON (v.record_id);

CREATE INDEX signature_record IF NOT EXISTS
FOR (s:Signature) ON (s.record_id);
