-- Remove every edge touching the given (deleted) nodes; tenant transaction.
DELETE FROM edges_v2
WHERE tenant_id = %(tenant_id)s AND (src_id = ANY(%(node_ids)s) OR dst_id = ANY(%(node_ids)s))
