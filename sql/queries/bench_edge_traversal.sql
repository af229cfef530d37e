-- Bench: 1-hop neighbourhood of a node (out- and in-edges with the neighbour's name); glyph_app, tenant tx.
SELECT x.neighbour, x.direction, x.edge_type, x.weight, m.name
FROM (
    SELECT e.dst_id AS neighbour, 'out' AS direction, e.edge_type::text AS edge_type, e.weight
    FROM edges_v2 e WHERE e.tenant_id = %(tenant_id)s AND e.src_id = %(id)s
    UNION ALL
    SELECT e.src_id, 'in', e.edge_type::text, e.weight
    FROM edges_v2 e WHERE e.tenant_id = %(tenant_id)s AND e.dst_id = %(id)s
) x
JOIN nodes_v2 m ON m.tenant_id = %(tenant_id)s AND m.id = x.neighbour
