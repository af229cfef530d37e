-- One tenant's outbox and quarantine figures for `glyph metrics`; runs as glyph_app in a tenant transaction (RLS-bound).
SELECT (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NOT NULL) AS published,
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NULL) AS pending,
       COALESCE((SELECT EXTRACT(EPOCH FROM clock_timestamp() - min(occurred_at))::float8
                 FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NULL), 0) AS lag_seconds,
       (SELECT count(*) FROM ingest_quarantine WHERE tenant_id = %(tenant_id)s) AS quarantined
