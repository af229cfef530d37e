-- Bench: first and last glyph time of the tenant (bounds the window query targets); glyph_app, tenant tx.
SELECT min(t), max(t) FROM glyphs_4d WHERE tenant_id = %(tenant_id)s
