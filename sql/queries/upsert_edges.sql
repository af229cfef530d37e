-- Staged edges (ends resolved to node ids before staging) into edges_v2; unchanged edges are left alone;
-- similarity edges carry their score as confidence; tenant transaction.
INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type, relation_name, weight, confidence, auto_generated)
SELECT %(tenant_id)s, s.src_id, s.dst_id, s.edge_type::edge_type_enum, s.relation_name, s.weight,
       CASE WHEN s.edge_type = 'similar_to' THEN s.weight ELSE 1.0 END, true
FROM stage_edges s
WHERE s.src_id IS NOT NULL AND s.dst_id IS NOT NULL
ON CONFLICT (tenant_id, src_id, dst_id, edge_type) DO UPDATE SET
    relation_name = EXCLUDED.relation_name, weight = EXCLUDED.weight, confidence = EXCLUDED.confidence
WHERE (edges_v2.relation_name, edges_v2.weight, edges_v2.confidence)
      IS DISTINCT FROM (EXCLUDED.relation_name, EXCLUDED.weight, EXCLUDED.confidence)
