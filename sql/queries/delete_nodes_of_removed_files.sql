-- Soft-delete the nodes of source objects that disappeared; returns their ids so their edges go too; tenant tx.
UPDATE nodes_v2 n SET deleted_at = now()
FROM files f
WHERE f.tenant_id = %(tenant_id)s AND f.deleted_at IS NOT NULL AND n.tenant_id = f.tenant_id
  AND n.source_key = f.storage_path AND n.deleted_at IS NULL
RETURNING n.id
