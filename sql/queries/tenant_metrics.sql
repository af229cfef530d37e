-- Every tenant's exporter figures in one statement (definer function); glyph_app, no tenant context.
SELECT tenant_id::text AS tenant_id, slug, status, published, pending, dead, lag_seconds, quarantined
FROM tenant_metrics()
