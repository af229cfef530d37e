-- Live embedded chunk nodes of the tenant (sizes the in-memory similarity search); tenant transaction.
SELECT count(*) FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND kind = 'chunk' AND deleted_at IS NULL AND embedding_384 IS NOT NULL
