-- The tenant's live chunk vectors outside the given documents: what new chunks are compared with; tenant tx.
SELECT external_key, source_key, embedding_384
FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND kind = 'chunk' AND deleted_at IS NULL AND embedding_384 IS NOT NULL
  AND NOT (source_key = ANY(%(exclude)s))
ORDER BY external_key
