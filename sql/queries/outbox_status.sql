-- Per tenant with pending or dead events: counts, oldest pending age, newest error (definer function); glyph_app.
SELECT tenant_id::text AS tenant_id, slug, pending, dead, published, oldest_pending_age_s, last_error
FROM outbox_status()
