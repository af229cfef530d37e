-- Staged vectors into embeddings_v2 (one row per chunk and model); tenant transaction.
INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec, content_hash)
SELECT %(tenant_id)s, 'chunk', s.obj_id, %(model)s, 384, s.vec, s.content_hash
FROM stage_embeddings s
ON CONFLICT (tenant_id, obj_type, obj_id, model) DO UPDATE SET
    vec = EXCLUDED.vec, dim = EXCLUDED.dim, content_hash = EXCLUDED.content_hash
WHERE embeddings_v2.content_hash IS DISTINCT FROM EXCLUDED.content_hash
