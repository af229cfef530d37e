-- Chunk nodes of re-graphed documents that the new version no longer has: soft-deleted, ids returned so their
-- edges go too; tenant transaction.
UPDATE nodes_v2 n SET deleted_at = now()
WHERE n.tenant_id = %(tenant_id)s AND n.source_key = ANY(%(regraphed)s) AND n.kind = 'chunk'
  AND n.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM stage_nodes s WHERE s.external_key = n.external_key)
RETURNING n.id
