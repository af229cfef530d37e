-- Every tenant (id, slug, status) for the metrics exporter, through the definer directory; runs as glyph_app without tenant context.
SELECT id, slug, status::text FROM tenant_directory() ORDER BY slug
