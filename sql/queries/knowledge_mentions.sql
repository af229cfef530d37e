-- Every mention in the tenant's live chunks: (document, chunk index, key, kind, type, surface, surfaces, mentions,
-- score); a text shared by several chunks counts once per chunk. Tenant transaction.
SELECT f.storage_path, fc.chunk_index, m.key, m.kind, m.type, m.surface, m.surfaces, m.mentions, m.score::float8
FROM file_chunks fc
JOIN files f ON f.id = fc.file_id AND f.tenant_id = fc.tenant_id AND f.deleted_at IS NULL
JOIN chunk_mentions m ON m.tenant_id = fc.tenant_id AND m.extractor = %(extractor)s AND m.content_hash = fc.content_hash
WHERE fc.tenant_id = %(tenant_id)s
