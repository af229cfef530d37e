-- Bench: one node by id (display fields, no vectors); runs as glyph_app in a tenant transaction (RLS on).
SELECT id, kind::text, name, summary, metadata, pos_x, pos_y, pos_z, color, size, importance_score,
       created_at, updated_at
FROM nodes_v2
WHERE tenant_id = %(tenant_id)s AND id = %(id)s
