-- Chunks of the re-chunked files that the new version no longer has (past its new end); tenant transaction.
DELETE FROM file_chunks fc
WHERE fc.tenant_id = %(tenant_id)s AND fc.file_id = ANY(%(file_ids)s)
  AND NOT EXISTS (SELECT 1 FROM stage_chunks s WHERE s.file_id = fc.file_id AND s.chunk_index = fc.chunk_index)
