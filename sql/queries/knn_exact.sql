-- Exact top-k (sequential scan forced by the caller with SET LOCAL enable_indexscan = off) as recall baseline;
-- the app's own query shape: no tenant filter, RLS decides; tenant transaction.
SELECT id FROM nodes_v2
WHERE embedding_384 IS NOT NULL
ORDER BY embedding_384 <=> %(q)s
LIMIT %(k)s
