-- Record a failed delivery attempt (transient); the events stay pending for the next run; tenant transaction.
UPDATE change_outbox SET attempts = attempts + 1, last_error = %(error)s
WHERE tenant_id = %(tenant_id)s AND seq = ANY(%(seqs)s)
