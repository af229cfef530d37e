-- Live files chunked from their current content but not yet written to the graph in that version; tenant tx.
SELECT id, storage_path, content_hash, etag, metadata, graphed_hash IS NOT NULL AS graphed_before
FROM files
WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL AND processing_status <> 'failed'
  AND chunked_hash = content_hash AND graphed_hash IS DISTINCT FROM content_hash
ORDER BY storage_path
