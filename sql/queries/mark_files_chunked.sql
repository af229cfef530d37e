-- Record the content each file was chunked from; tenant transaction.
UPDATE files SET chunked_hash = content_hash, processing_status = 'processing'
WHERE tenant_id = %(tenant_id)s AND id = ANY(%(file_ids)s)
