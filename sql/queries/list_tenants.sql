-- All tenants (id, slug, status) through the definer directory function; runs as glyph_app without tenant context.
SELECT id::text AS id, slug, status::text AS status FROM tenant_directory() ORDER BY slug
