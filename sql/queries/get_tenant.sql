-- One tenant (id, slug, status) by slug through the definer directory function; glyph_app without tenant context.
SELECT id, slug, status::text FROM tenant_directory() WHERE slug = %(slug)s
