-- Bench: how many nodes the tenant owns (sizes the samples); glyph_app, tenant tx.
SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s
