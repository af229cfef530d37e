-- One parsed (or quarantined) source object; re-ingesting the same content changes nothing; tenant transaction.
INSERT INTO files (tenant_id, filename, original_filename, file_type, mime_type, size_bytes, storage_path,
                   storage_url, processing_status, processing_error, extracted_text, structured_data, metadata,
                   etag, version_id, content_hash, deleted_at)
VALUES (%(tenant_id)s, %(filename)s, %(filename)s, %(file_type)s, %(mime_type)s, %(size_bytes)s, %(storage_path)s,
        's3://' || %(storage_path)s, %(status)s, %(error)s, %(text)s, NULL, %(metadata)s,
        %(etag)s, %(version_id)s, %(content_hash)s, NULL)
ON CONFLICT (tenant_id, storage_path) DO UPDATE SET
    size_bytes = EXCLUDED.size_bytes, file_type = EXCLUDED.file_type, mime_type = EXCLUDED.mime_type,
    processing_status = CASE WHEN files.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash
                              AND files.deleted_at IS NULL THEN files.processing_status
                             ELSE EXCLUDED.processing_status END,
    processing_error = EXCLUDED.processing_error, extracted_text = EXCLUDED.extracted_text,
    structured_data = EXCLUDED.structured_data, metadata = EXCLUDED.metadata, etag = EXCLUDED.etag,
    version_id = EXCLUDED.version_id, content_hash = EXCLUDED.content_hash, deleted_at = NULL
WHERE (files.etag, files.content_hash, files.deleted_at IS NULL)
      IS DISTINCT FROM (EXCLUDED.etag, EXCLUDED.content_hash, true)
