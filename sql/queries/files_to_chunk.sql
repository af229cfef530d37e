-- Live, parsed files whose text changed since they were last chunked (ids only: texts are read per batch); tenant tx.
SELECT id
FROM files
WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL AND processing_status <> 'failed'
  AND extracted_text IS NOT NULL AND chunked_hash IS DISTINCT FROM content_hash
ORDER BY storage_path
