-- Objects that disappeared from the bucket: soft-delete their file rows; the graph stage propagates; tenant tx.
UPDATE files SET deleted_at = now(), processing_status = 'pending'
WHERE tenant_id = %(tenant_id)s AND storage_path = ANY(%(keys)s) AND deleted_at IS NULL
