-- One tenant (id, slug, status) by slug through the definer directory function; glyph_app without tenant context.
SELECT id::text AS id, slug, status::text AS status FROM tenant_directory() WHERE slug = %(slug)s
