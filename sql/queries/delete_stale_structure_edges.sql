-- Structural edges (contains/next/tagged_with) out of re-graphed documents' nodes that the new version dropped;
-- the anti-join probes stage_edges' index (src_key, dst_key, edge_type); tenant transaction.
DELETE FROM edges_v2 e
USING nodes_v2 a, nodes_v2 b
WHERE e.tenant_id = %(tenant_id)s AND a.tenant_id = e.tenant_id AND b.tenant_id = e.tenant_id
  AND a.source_key = ANY(%(source_keys)s) AND e.src_id = a.id AND b.id = e.dst_id
  AND e.edge_type IN ('contains', 'next', 'tagged_with')
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_key = a.external_key AND s.dst_key = b.external_key AND s.edge_type = e.edge_type::text)
