-- kNN similarity edges for the chunks of the given documents through the vector indexes: the fallback for tenants too
-- large for the in-memory exact search (glyph_core/similarity.py), with the same orientation (smaller external
-- key -> larger), rounding and threshold; tenant transaction.
INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type, relation_name, weight, confidence, auto_generated)
SELECT DISTINCT ON (pair.src_id, pair.dst_id)
       %(tenant_id)s, pair.src_id, pair.dst_id, 'similar_to', 'semantic_similarity', pair.weight, pair.weight, true
FROM (
    SELECT CASE WHEN q.external_key < nn.external_key THEN q.id ELSE nn.id END AS src_id,
           CASE WHEN q.external_key < nn.external_key THEN nn.id ELSE q.id END AS dst_id,
           round((1 - nn.distance)::numeric, 4)::double precision AS weight
    FROM nodes_v2 q
    CROSS JOIN LATERAL (
        SELECT n.id, n.external_key, n.embedding_384 <=> q.embedding_384 AS distance
        FROM nodes_v2 n
        WHERE n.tenant_id = q.tenant_id AND n.kind = 'chunk' AND n.deleted_at IS NULL
          AND n.embedding_384 IS NOT NULL AND n.source_key IS DISTINCT FROM q.source_key
        ORDER BY n.embedding_384 <=> q.embedding_384
        LIMIT %(k)s
    ) nn
    WHERE q.tenant_id = %(tenant_id)s AND q.kind = 'chunk' AND q.deleted_at IS NULL AND q.embedding_384 IS NOT NULL
      AND q.source_key = ANY(%(source_keys)s) AND nn.distance <= 1 - %(threshold)s
) pair
ORDER BY pair.src_id, pair.dst_id, pair.weight DESC
ON CONFLICT (tenant_id, src_id, dst_id, edge_type) DO UPDATE SET weight = EXCLUDED.weight,
    confidence = EXCLUDED.confidence
WHERE edges_v2.weight IS DISTINCT FROM EXCLUDED.weight
