-- Bench: the tenant's glyphs in a time window [start, end), newest first, one page; glyph_app, tenant tx.
SELECT id, type::text, x, y, z, t, related_node_id
FROM glyphs_4d
WHERE tenant_id = %(tenant_id)s AND t >= %(start)s AND t < %(end)s
ORDER BY t DESC
LIMIT %(limit)s
