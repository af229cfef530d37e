-- Chunks with no vector for the current model (or whose text changed since), or whose text the current extractor
-- has not read (NULL extractor: extraction off); tenant transaction. Longest first: texts of similar length share
-- a batch, so the model pads little (the last, short chunk of every document would otherwise be padded to 256).
SELECT fc.id, fc.content_hash, fc.chunk_text,
       (e.id IS NULL OR e.content_hash IS DISTINCT FROM fc.content_hash) AS needs_vector,
       (%(extractor)s::text IS NOT NULL AND x.content_hash IS NULL) AS needs_mentions
FROM file_chunks fc
JOIN files f ON f.id = fc.file_id AND f.deleted_at IS NULL
LEFT JOIN embeddings_v2 e
       ON e.tenant_id = fc.tenant_id AND e.obj_type = 'chunk' AND e.obj_id = fc.id AND e.model = %(model)s
LEFT JOIN chunk_extractions x
       ON x.tenant_id = fc.tenant_id AND x.extractor = %(extractor)s AND x.content_hash = fc.content_hash
WHERE fc.tenant_id = %(tenant_id)s
  AND (e.id IS NULL OR e.content_hash IS DISTINCT FROM fc.content_hash
       OR (%(extractor)s::text IS NOT NULL AND x.content_hash IS NULL))
ORDER BY coalesce(fc.token_count, length(fc.chunk_text) / 4) DESC, fc.content_hash
