-- Re-drive, step 1: a dead event whose entity has a newer event is not sent again (it would arrive after the
-- newer state and reverse per-entity order); it is closed as superseded; tenant transaction.
UPDATE change_outbox o SET published_at = now(),
       last_error = 'superseded: a newer event of the same entity carries its current state; not sent'
WHERE o.tenant_id = %(tenant_id)s AND o.dead_at IS NOT NULL AND o.published_at IS NULL
  AND EXISTS (SELECT 1 FROM change_outbox n
              WHERE n.tenant_id = o.tenant_id AND n.entity_type = o.entity_type AND n.entity_id = o.entity_id
                AND n.seq > o.seq)
