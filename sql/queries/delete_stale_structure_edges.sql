-- Structural edges (contains/next/tagged_with) out of re-graphed documents' nodes that the new version dropped;
-- the anti-join probes stage_edges' (src_id, dst_id, edge_type) index; tenant transaction.
DELETE FROM edges_v2 e
USING nodes_v2 a
WHERE e.tenant_id = %(tenant_id)s AND a.tenant_id = e.tenant_id AND a.id = e.src_id
  AND a.source_key = ANY(%(source_keys)s)
  AND e.edge_type IN ('contains', 'next', 'tagged_with')
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_id = e.src_id AND s.dst_id = e.dst_id AND s.edge_type = e.edge_type::text)
