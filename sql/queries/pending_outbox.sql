-- Tenants with unpublished change events (definer function; no tenant context needed); glyph_app.
SELECT tenant_id, pending FROM outbox_pending_by_tenant()
