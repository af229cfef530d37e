-- One visualization glyph per node for the window start t; a glyph that did not move is not rewritten; tenant tx.
INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, metadata, related_node_id)
SELECT %(tenant_id)s, 'visualization', s.x, s.y, s.z, %(t)s,
       jsonb_build_object('node_kind', s.kind, 'projection_version', %(version)s::int, 'model', %(model)s::text), s.node_id
FROM stage_glyphs s
ON CONFLICT (tenant_id, related_node_id, type, t) DO UPDATE SET x = EXCLUDED.x, y = EXCLUDED.y, z = EXCLUDED.z,
    metadata = EXCLUDED.metadata
WHERE abs(glyphs_4d.x - EXCLUDED.x) + abs(glyphs_4d.y - EXCLUDED.y) + abs(glyphs_4d.z - EXCLUDED.z) > 1e-6
