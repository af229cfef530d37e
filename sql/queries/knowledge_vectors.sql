-- Name-in-context vector of each key: the mean of its mention vectors over the live chunks, summed in a fixed
-- order so the same mentions always give the same vector (no spurious update); every key (the caller keeps the ones
-- it needs: a key list here would be compared with every mention). Tenant transaction.
SELECT m.key, avg(m.vec ORDER BY fc.id)
FROM file_chunks fc
JOIN files f ON f.id = fc.file_id AND f.tenant_id = fc.tenant_id AND f.deleted_at IS NULL
JOIN chunk_mentions m ON m.tenant_id = fc.tenant_id AND m.extractor = %(extractor)s AND m.content_hash = fc.content_hash
WHERE fc.tenant_id = %(tenant_id)s AND m.vec IS NOT NULL
GROUP BY m.key
