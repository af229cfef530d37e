-- Per live document, its key concepts, best first: (source key, concept name); tenant transaction.
SELECT d.source_key, n.name
FROM edges_v2 e
JOIN nodes_v2 d ON d.tenant_id = e.tenant_id AND d.id = e.src_id AND d.kind = 'document' AND d.deleted_at IS NULL
JOIN nodes_v2 n ON n.tenant_id = e.tenant_id AND n.id = e.dst_id
WHERE e.tenant_id = %(tenant_id)s AND e.edge_type = 'references' AND e.relation_name = 'key_concept'
ORDER BY d.source_key, e.weight DESC, n.name
