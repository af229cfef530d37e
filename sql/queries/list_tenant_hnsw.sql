-- Per-tenant partial HNSW indexes left by versions before 0.2 (one per tenant does not scale): to drop; owner.
SELECT c.relname::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'nodes\_v2\_emb384\_hnsw\_t\_%%'
