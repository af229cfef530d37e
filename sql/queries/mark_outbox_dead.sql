-- An event the client or broker rejected for good: dead with its reason; later events keep flowing; tenant tx.
UPDATE change_outbox SET dead_at = now(), dead_reason = %(reason)s, last_error = %(reason)s, attempts = attempts + 1
WHERE tenant_id = %(tenant_id)s AND seq = %(seq)s
