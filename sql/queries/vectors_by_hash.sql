-- Vectors this tenant already has for these texts under the current model: the encode that never happens.
SELECT DISTINCT ON (content_hash) content_hash, vec
FROM embeddings_v2
WHERE tenant_id = %(tenant_id)s AND model = %(model)s AND content_hash = ANY(%(hashes)s)
