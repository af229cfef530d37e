-- Staged nodes into nodes_v2 by (tenant, external_key); rows whose content did not change are left alone, so a
-- re-run writes nothing and emits no events; tenant transaction as glyph_app. With keep_concepts (the document
-- graph), a live concept node is only ever inserted: its content belongs to the entity layer once it exists.
INSERT INTO nodes_v2 (tenant_id, kind, name, summary, content, metadata, embedding_384, color, size,
                      importance_score, external_key, content_hash, source_key, source_version, embedding_model,
                      deleted_at)
SELECT %(tenant_id)s, s.kind::node_kind_enum, s.name, s.summary, s.content, s.metadata, s.embedding, s.color,
       s.size, coalesce(s.importance, 0), s.external_key, s.content_hash, s.source_key, s.source_version,
       CASE WHEN s.embedding IS NULL THEN NULL ELSE %(model)s END, NULL
FROM stage_nodes s
ON CONFLICT (tenant_id, external_key) DO UPDATE SET
    kind = EXCLUDED.kind, name = EXCLUDED.name, summary = EXCLUDED.summary, content = EXCLUDED.content,
    metadata = EXCLUDED.metadata, embedding_384 = EXCLUDED.embedding_384, color = EXCLUDED.color,
    size = EXCLUDED.size, importance_score = EXCLUDED.importance_score, content_hash = EXCLUDED.content_hash,
    source_key = EXCLUDED.source_key, source_version = EXCLUDED.source_version,
    embedding_model = EXCLUDED.embedding_model, deleted_at = NULL
WHERE NOT (%(keep_concepts)s AND nodes_v2.kind = 'concept' AND nodes_v2.deleted_at IS NULL)
  AND ((nodes_v2.content_hash, nodes_v2.name, nodes_v2.metadata, nodes_v2.embedding_model, nodes_v2.importance_score,
       nodes_v2.deleted_at IS NULL, nodes_v2.embedding_384 IS NULL)
      IS DISTINCT FROM (EXCLUDED.content_hash, EXCLUDED.name, EXCLUDED.metadata, EXCLUDED.embedding_model,
       EXCLUDED.importance_score, true, EXCLUDED.embedding_384 IS NULL)
       OR (nodes_v2.embedding_384 IS NOT NULL AND nodes_v2.embedding_384 <> EXCLUDED.embedding_384))
