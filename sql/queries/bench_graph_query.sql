-- Bench: a graph view = the tenant's newest N nodes before a moment plus all their out-edges; glyph_app, tenant tx.
WITH n AS (
    SELECT id, kind, name, pos_x, pos_y, pos_z, color, size
    FROM nodes_v2
    WHERE tenant_id = %(tenant_id)s AND created_at < %(before)s
    ORDER BY created_at DESC
    LIMIT %(nodes)s
)
SELECT 'node' AS what, n.id, NULL::uuid AS dst_id, n.kind::text AS kind, n.name, n.pos_x, n.pos_y, n.pos_z,
       NULL::double precision AS weight
FROM n
UNION ALL
SELECT 'edge', e.src_id, e.dst_id, e.edge_type::text, NULL, NULL, NULL, NULL, e.weight
FROM n JOIN edges_v2 e ON e.tenant_id = %(tenant_id)s AND e.src_id = n.id
