-- Re-drive, step 2: the remaining dead events become pending again (after the operator fixed the cause); tenant tx.
UPDATE change_outbox SET dead_at = NULL, dead_reason = NULL, attempts = 0
WHERE tenant_id = %(tenant_id)s AND dead_at IS NOT NULL AND published_at IS NULL
