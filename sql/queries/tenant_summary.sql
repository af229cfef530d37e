-- Per-tenant totals for the CLI summary; tenant transaction.
SELECT (SELECT count(*) FROM files WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL AND processing_status <> 'failed'),
       (SELECT count(*) FROM ingest_quarantine WHERE tenant_id = %(tenant_id)s),
       (SELECT count(*) FROM file_chunks WHERE tenant_id = %(tenant_id)s),
       (SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL),
       (SELECT count(*) FROM edges_v2 WHERE tenant_id = %(tenant_id)s),
       (SELECT count(*) FROM glyphs_4d WHERE tenant_id = %(tenant_id)s),
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NOT NULL),
       (SELECT count(*) FROM change_outbox WHERE tenant_id = %(tenant_id)s AND published_at IS NULL)
