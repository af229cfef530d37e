-- Edges of the entity layer (references: mentions / key_concept, relates_to: co_occurs) that the new build does
-- not have; the anti-join probes stage_edges' index. Tenant transaction.
DELETE FROM edges_v2 e
USING nodes_v2 a, nodes_v2 b
WHERE e.tenant_id = %(tenant_id)s AND a.tenant_id = e.tenant_id AND b.tenant_id = e.tenant_id
  AND a.id = e.src_id AND b.id = e.dst_id
  AND ((e.edge_type = 'references' AND e.relation_name IN ('mentions', 'key_concept'))
       OR (e.edge_type = 'relates_to' AND e.relation_name = 'co_occurs'))
  AND NOT EXISTS (SELECT 1 FROM stage_edges s
                  WHERE s.src_key = a.external_key AND s.dst_key = b.external_key AND s.edge_type = e.edge_type::text)
