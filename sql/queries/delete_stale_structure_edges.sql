-- Structural edges (contains/next/tagged_with) out of re-graphed documents' nodes that the new version dropped.
DELETE FROM edges_v2 e
USING nodes_v2 a, nodes_v2 b
WHERE e.tenant_id = %(tenant_id)s AND a.id = e.src_id AND b.id = e.dst_id
  AND e.edge_type IN ('contains', 'next', 'tagged_with') AND a.source_key = ANY(%(source_keys)s)
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_key = a.external_key AND s.dst_key = b.external_key AND s.edge_type = e.edge_type::text)
