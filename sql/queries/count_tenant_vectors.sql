-- Live embedded nodes of the tenant (decides whether it gets a partial index); tenant transaction.
SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND embedding_384 IS NOT NULL AND deleted_at IS NULL
