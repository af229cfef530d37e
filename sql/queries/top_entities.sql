-- The most important live entity nodes (id, name), for the labels of a tenant's picture; tenant transaction.
SELECT id, name
FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND kind = 'entity' AND deleted_at IS NULL AND embedding_384 IS NOT NULL
ORDER BY importance_score DESC, name
LIMIT %(limit)s
