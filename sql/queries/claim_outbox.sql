-- The oldest unpublished events of the tenant, locked so two publishers never send the same batch; tenant tx.
SELECT seq, event_id, tenant_id, entity_type, entity_id, op, before, after, txid, occurred_at
FROM change_outbox
WHERE tenant_id = %(tenant_id)s AND published_at IS NULL
ORDER BY seq
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
