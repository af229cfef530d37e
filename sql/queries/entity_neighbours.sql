-- The entity/concept nodes linked to a node by relates_to (either direction), strongest first; tenant tx.
SELECT o.name, o.kind::text AS kind, coalesce(o.metadata ->> 'entity_type', 'concept') AS type, e.weight
FROM edges_v2 e
JOIN nodes_v2 o ON o.tenant_id = e.tenant_id AND o.id = CASE WHEN e.src_id = %(node_id)s THEN e.dst_id ELSE e.src_id END
WHERE e.tenant_id = %(tenant_id)s AND e.edge_type = 'relates_to' AND (e.src_id = %(node_id)s OR e.dst_id = %(node_id)s)
ORDER BY e.weight DESC, o.name
LIMIT %(limit)s
