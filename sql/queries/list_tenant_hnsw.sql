-- Existing per-tenant partial HNSW indexes (valid or not); owner.
SELECT c.relname, i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.relkind = 'i' AND c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'nodes\_v2\_emb384\_hnsw\_t\_%%'
