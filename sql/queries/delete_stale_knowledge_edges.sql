-- Edges of the entity layer (references: mentions / key_concept, relates_to: co_occurs) that the new build does
-- not have; the anti-join probes stage_edges' (src_id, dst_id, edge_type) index. Tenant transaction.
DELETE FROM edges_v2 e
WHERE e.tenant_id = %(tenant_id)s
  AND ((e.edge_type = 'references' AND e.relation_name IN ('mentions', 'key_concept'))
       OR (e.edge_type = 'relates_to' AND e.relation_name = 'co_occurs'))
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_id = e.src_id AND s.dst_id = e.dst_id AND s.edge_type = e.edge_type::text)
