-- Latest positions onto nodes_v2 (the app shows (0,0,0) as "not placed") and graph_coords_v2; only moved nodes.
WITH moved AS (
    UPDATE nodes_v2 n SET pos_x = s.x, pos_y = s.y, pos_z = s.z
    FROM stage_glyphs s
    WHERE n.tenant_id = %(tenant_id)s AND n.id = s.node_id
      AND (n.pos_x IS NULL OR abs(n.pos_x - s.x) + abs(n.pos_y - s.y) + abs(n.pos_z - s.z) > 1e-6)
    RETURNING n.id
)
INSERT INTO graph_coords_v2 (node_id, tenant_id, layout, x, y, z, t)
SELECT s.node_id, %(tenant_id)s, 'pca', s.x, s.y, s.z, extract(epoch FROM %(t)s::timestamptz)
FROM stage_glyphs s
ON CONFLICT (node_id) DO UPDATE SET layout = EXCLUDED.layout, x = EXCLUDED.x, y = EXCLUDED.y, z = EXCLUDED.z,
    t = EXCLUDED.t
WHERE (graph_coords_v2.x, graph_coords_v2.y, graph_coords_v2.z, graph_coords_v2.t)
      IS DISTINCT FROM (EXCLUDED.x, EXCLUDED.y, EXCLUDED.z, EXCLUDED.t)
