-- Bench: random node ids of a small tenant (all its rows through the tenant index, shuffled): a page sample of the
-- whole table per tenant would read all of it for each of 10,000 small tenants; glyph_app, tenant tx.
SELECT id, created_at FROM nodes_v2
WHERE tenant_id = %(tenant_id)s
ORDER BY random()
LIMIT %(limit)s
