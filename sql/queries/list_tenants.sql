-- All tenants (id, slug, status) through the definer directory function; runs as glyph_app without tenant context.
SELECT id, slug, status::text FROM tenant_directory() ORDER BY slug
