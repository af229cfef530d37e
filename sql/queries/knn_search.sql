-- Top-k nearest nodes by cosine distance, the app's own query shape: no tenant filter, RLS keeps it to the
-- tenant of the transaction (HNSW with iterative scan, or exact through tenant_id for small tenants).
SELECT id FROM nodes_v2
WHERE embedding_384 IS NOT NULL
ORDER BY embedding_384 <=> %(q)s
LIMIT %(k)s
