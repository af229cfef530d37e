-- kNN similarity edges for the chunks of the given documents, through the HNSW index (iterative scan keeps a full
-- top-k for small tenants under RLS); pairs stored once (smaller id -> larger id); tenant transaction.
INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type, relation_name, weight, confidence, auto_generated)
SELECT DISTINCT ON (LEAST(q.id, nn.id), GREATEST(q.id, nn.id))
       %(tenant_id)s, LEAST(q.id, nn.id), GREATEST(q.id, nn.id), 'similar_to', 'semantic_similarity',
       1 - nn.distance, 1 - nn.distance, true
FROM nodes_v2 q
CROSS JOIN LATERAL (
    SELECT n.id, n.embedding_384 <=> q.embedding_384 AS distance
    FROM nodes_v2 n
    WHERE n.tenant_id = q.tenant_id AND n.kind = 'chunk' AND n.deleted_at IS NULL
      AND n.embedding_384 IS NOT NULL AND n.source_key IS DISTINCT FROM q.source_key
    ORDER BY n.embedding_384 <=> q.embedding_384
    LIMIT %(k)s
) nn
WHERE q.tenant_id = %(tenant_id)s AND q.kind = 'chunk' AND q.deleted_at IS NULL AND q.embedding_384 IS NOT NULL
  AND q.source_key = ANY(%(source_keys)s) AND nn.distance <= 1 - %(threshold)s
ORDER BY LEAST(q.id, nn.id), GREATEST(q.id, nn.id), nn.distance
ON CONFLICT (tenant_id, src_id, dst_id, edge_type) DO UPDATE SET weight = EXCLUDED.weight,
    confidence = EXCLUDED.confidence
WHERE edges_v2.weight IS DISTINCT FROM EXCLUDED.weight
