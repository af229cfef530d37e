-- Similarity edges touching chunks of re-graphed documents, recomputed right after; tenant transaction.
DELETE FROM edges_v2 e
USING nodes_v2 n
WHERE e.tenant_id = %(tenant_id)s AND e.edge_type = 'similar_to' AND n.tenant_id = e.tenant_id
  AND (n.id = e.src_id OR n.id = e.dst_id) AND n.source_key = ANY(%(source_keys)s)
  AND NOT EXISTS (SELECT 1 FROM stage_nodes s WHERE s.external_key = n.external_key AND s.content_hash = n.content_hash)
