-- What the entity layer of a tenant depends on: every live chunk (document, position, text) and the extractor;
-- with the fingerprint the layer was last built from (NULL: never). Tenant transaction.
SELECT md5(%(extractor)s || '|' || coalesce(string_agg(f.storage_path || '#' || fc.chunk_index || ':' || fc.content_hash,
                                                    ',' ORDER BY f.storage_path, fc.chunk_index), '')) AS current,
       (SELECT k.fingerprint FROM knowledge_state k WHERE k.tenant_id = %(tenant_id)s) AS built
FROM file_chunks fc
JOIN files f ON f.id = fc.file_id AND f.tenant_id = fc.tenant_id AND f.deleted_at IS NULL
WHERE fc.tenant_id = %(tenant_id)s
