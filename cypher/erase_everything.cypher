// erase_everything: deletes up to $page_size of the nodes this store writes: graph, keys, audit,
// records with their versions and signatures, people, sessions and stored idempotent answers.
// Called until it deletes nothing, only to give a test a fresh database; migrations stay.
// params: $page_size
// returns: deleted
MATCH (n)
WHERE n:Node OR n:Alias OR n:Meta OR n:ApiKey OR n:AuditEntry OR n:AuditHead
   OR n:Record OR n:RecordVersion OR n:Signature OR n:User OR n:Session OR n:IdempotentAnswer
WITH n
LIMIT $page_size
DETACH DELETE n
RETURN count(*) AS deleted
