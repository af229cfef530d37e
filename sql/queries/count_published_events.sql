-- Add to the tenant's delivered/dead counters (a Prometheus counter never shrinks under retention); tenant tx.
INSERT INTO outbox_counters (tenant_id, published, dead) VALUES (%(tenant_id)s, %(published)s, %(dead)s)
ON CONFLICT (tenant_id) DO UPDATE SET published = outbox_counters.published + EXCLUDED.published,
    dead = outbox_counters.dead + EXCLUDED.dead
