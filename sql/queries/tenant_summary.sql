-- Per-tenant totals for the CLI summary; tenant transaction.
SELECT (SELECT count(*) FROM files WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL
          AND processing_status <> 'failed') AS documents,
       (SELECT count(*) FROM ingest_quarantine WHERE tenant_id = %(tenant_id)s) AS quarantined,
       (SELECT count(*) FROM file_chunks WHERE tenant_id = %(tenant_id)s) AS chunks,
       (SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL) AS nodes,
       (SELECT count(*) FROM edges_v2 WHERE tenant_id = %(tenant_id)s) AS edges,
       (SELECT count(*) FROM glyphs_4d WHERE tenant_id = %(tenant_id)s) AS glyphs,
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NOT NULL)
           AS events_published,
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NULL
          AND dead_at IS NULL) AS events_pending,
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND dead_at IS NOT NULL
          AND published_at IS NULL) AS events_dead
