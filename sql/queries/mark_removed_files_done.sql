-- Removed files whose deletion reached the graph; tenant transaction.
UPDATE files SET processing_status = 'completed', graphed_hash = NULL
WHERE tenant_id = %(tenant_id)s AND deleted_at IS NOT NULL AND processing_status <> 'completed'
