-- Per live document, the entity nodes its chunks reference: (source key, name, aliases, type); tenant transaction.
SELECT c.source_key, n.name, n.metadata -> 'aliases', n.metadata ->> 'entity_type'
FROM nodes_v2 n
JOIN edges_v2 e ON e.tenant_id = n.tenant_id AND e.dst_id = n.id AND e.edge_type = 'references'
JOIN nodes_v2 c ON c.tenant_id = e.tenant_id AND c.id = e.src_id AND c.kind = 'chunk' AND c.deleted_at IS NULL
WHERE n.tenant_id = %(tenant_id)s AND n.kind = 'entity'
GROUP BY c.source_key, n.id
ORDER BY c.source_key, n.name
