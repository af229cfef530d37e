-- Record a delivery failure on every pending event of the tenant (broker unreachable); tenant transaction.
UPDATE change_outbox SET attempts = attempts + 1, last_error = %(error)s
WHERE tenant_id = %(tenant_id)s AND published_at IS NULL AND dead_at IS NULL
