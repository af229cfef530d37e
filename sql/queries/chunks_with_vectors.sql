-- Chunks of the given files with their current-model vectors (numpy arrays through pgvector); tenant transaction.
SELECT fc.file_id, fc.chunk_index, fc.chunk_text, fc.content_hash, e.vec
FROM file_chunks fc
LEFT JOIN embeddings_v2 e
       ON e.tenant_id = fc.tenant_id AND e.obj_type = 'chunk' AND e.obj_id = fc.id AND e.model = %(model)s
WHERE fc.tenant_id = %(tenant_id)s AND fc.file_id = ANY(%(file_ids)s)
ORDER BY fc.file_id, fc.chunk_index
