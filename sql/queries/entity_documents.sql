-- The documents whose chunks mention a node: (title, object key, mentions), most mentions first; tenant tx.
SELECT d.name AS title, d.source_key AS key, sum(e.weight)::int AS mentions
FROM edges_v2 e
JOIN nodes_v2 c ON c.tenant_id = e.tenant_id AND c.id = e.src_id AND c.kind = 'chunk' AND c.deleted_at IS NULL
JOIN nodes_v2 d ON d.tenant_id = c.tenant_id AND d.external_key = 'doc:' || c.source_key AND d.deleted_at IS NULL
WHERE e.tenant_id = %(tenant_id)s AND e.dst_id = %(node_id)s AND e.edge_type = 'references'
GROUP BY d.name, d.source_key
ORDER BY mentions DESC, d.source_key
LIMIT %(limit)s
