-- Similarity edges touching the given chunk nodes (their text changed, so their vectors moved), through the two
-- (tenant_id, src_id / dst_id) indexes; an OR join over nodes scanned every similarity edge of the tenant per
-- batch (20 s over a 1,000-document tenant). Tenant transaction.
DELETE FROM edges_v2 e
WHERE e.tenant_id = %(tenant_id)s AND e.edge_type = 'similar_to'
  AND (e.src_id = ANY(%(node_ids)s) OR e.dst_id = ANY(%(node_ids)s))
