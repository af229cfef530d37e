-- Chunks with no vector for the current model, or whose text changed since; tenant transaction.
SELECT fc.id, fc.content_hash, fc.chunk_text
FROM file_chunks fc
JOIN files f ON f.id = fc.file_id AND f.deleted_at IS NULL
LEFT JOIN embeddings_v2 e
       ON e.tenant_id = fc.tenant_id AND e.obj_type = 'chunk' AND e.obj_id = fc.id AND e.model = %(model)s
WHERE fc.tenant_id = %(tenant_id)s AND (e.id IS NULL OR e.content_hash IS DISTINCT FROM fc.content_hash)
ORDER BY fc.content_hash
