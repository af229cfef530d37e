-- Exact top-k (sequential scan forced by the caller with SET LOCAL enable_indexscan = off) as recall baseline.
SELECT id FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND embedding_384 IS NOT NULL
ORDER BY embedding_384 <=> %(q)s::vector
LIMIT %(k)s
