-- Bench: random node ids of the tenant (page sample) used as lookup/traversal targets; glyph_app, tenant tx.
SELECT id, created_at FROM nodes_v2 TABLESAMPLE SYSTEM (%(percent)s)
WHERE tenant_id = %(tenant_id)s
LIMIT %(limit)s
