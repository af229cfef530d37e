-- Top-k nearest nodes of the tenant by cosine distance (HNSW with iterative scan under RLS); tenant transaction.
SELECT id FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND embedding_384 IS NOT NULL
ORDER BY embedding_384 <=> %(q)s::vector
LIMIT %(k)s
