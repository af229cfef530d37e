-- Known source objects of the tenant: what ingest compares the bucket listing against; tenant transaction.
SELECT storage_path, etag, content_hash, deleted_at IS NOT NULL AS deleted
FROM files
WHERE tenant_id = %(tenant_id)s
