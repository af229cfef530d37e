-- Tenants with pending (unpublished, not dead) events: count, newest sequence number, oldest age; definer
-- function, no tenant context needed; glyph_app.
SELECT tenant_id::text AS tenant_id, pending, max_seq, oldest_age_s FROM outbox_pending_by_tenant()
ORDER BY tenant_id
