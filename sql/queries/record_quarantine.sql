-- Remember why an object was refused, once per (key, etag); tenant transaction.
INSERT INTO ingest_quarantine (tenant_id, object_key, etag, reason_code, reason, size_bytes, run_id)
VALUES (%(tenant_id)s, %(object_key)s, %(etag)s, %(reason_code)s, %(reason)s, %(size_bytes)s, %(run_id)s)
ON CONFLICT (tenant_id, object_key, etag) DO NOTHING
