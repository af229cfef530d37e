-- Chunks of the given files with their current-model vectors (numpy arrays through pgvector); tenant transaction.
-- The vector is a probe of embeddings_v2's unique key per chunk: a join was planned from statistics that did not
-- know the vectors written moments ago by the embeddings stage (5.5 s at 10k chunks).
SELECT fc.file_id, fc.chunk_index, fc.chunk_text, fc.content_hash,
       (SELECT e.vec FROM embeddings_v2 e
        WHERE e.tenant_id = fc.tenant_id AND e.obj_type = 'chunk' AND e.obj_id = fc.id AND e.model = %(model)s) AS vec
FROM file_chunks fc
WHERE fc.tenant_id = %(tenant_id)s AND fc.file_id = ANY(%(file_ids)s)
ORDER BY fc.file_id, fc.chunk_index
