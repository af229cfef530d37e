-- Structural edges (contains/next/tagged_with) out of re-graphed documents' nodes (given by id) that the new
-- version dropped: edges found through the (tenant_id, src_id) index, the anti-join probes stage_edges'
-- (src_id, dst_id, edge_type) index. Scanning the tenant's edges instead cost 12 s over a 1,000-document tenant.
-- Tenant transaction.
DELETE FROM edges_v2 e
WHERE e.tenant_id = %(tenant_id)s AND e.src_id = ANY(%(node_ids)s)
  AND e.edge_type IN ('contains', 'next', 'tagged_with')
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_id = e.src_id AND s.dst_id = e.dst_id AND s.edge_type = e.edge_type::text)
