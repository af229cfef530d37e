-- The oldest pending events of the tenant, locked so two publishers never send the same batch; tenant tx.
SELECT seq, event_id::text AS event_id, tenant_id::text AS tenant_id, entity_type, entity_id::text AS entity_id,
       op, before, after, txid, occurred_at
FROM change_outbox
WHERE tenant_id = %(tenant_id)s AND published_at IS NULL AND dead_at IS NULL
ORDER BY seq
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
