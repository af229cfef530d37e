-- A deterministic sample of the tenant's embedded nodes used as recall probes; tenant transaction.
SELECT embedding_384 FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND embedding_384 IS NOT NULL AND deleted_at IS NULL
ORDER BY md5(id::text) LIMIT %(probes)s
