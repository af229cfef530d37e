-- Events the broker acknowledged (acks=all); tenant transaction.
UPDATE change_outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL
WHERE tenant_id = %(tenant_id)s AND seq = ANY(%(seqs)s)
