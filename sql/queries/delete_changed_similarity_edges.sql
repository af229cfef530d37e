-- Similarity edges touching chunk nodes of the batch whose text changed (their vectors moved); runs before the
-- node upsert, while the stored hash is still the old one; tenant transaction.
DELETE FROM edges_v2 e
USING nodes_v2 n, stage_nodes s
WHERE e.tenant_id = %(tenant_id)s AND e.edge_type = 'similar_to' AND n.tenant_id = e.tenant_id
  AND (n.id = e.src_id OR n.id = e.dst_id) AND n.source_key = ANY(%(source_keys)s)
  AND s.external_key = n.external_key AND s.content_hash IS DISTINCT FROM n.content_hash
