-- The texts of the given files, to chunk; tenant transaction.
SELECT id, storage_path, extracted_text, content_hash
FROM files
WHERE tenant_id = %(tenant_id)s AND id = ANY(%(file_ids)s)
ORDER BY storage_path
