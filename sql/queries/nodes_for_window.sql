-- Embedded nodes alive at the end of the window (created before it ends, not deleted by then); tenant tx.
SELECT id, kind::text AS kind, embedding_384
FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND embedding_384 IS NOT NULL
  AND created_at < %(window_end)s AND (deleted_at IS NULL OR deleted_at >= %(window_end)s)
ORDER BY id
