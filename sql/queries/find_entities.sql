-- Entity and concept nodes by name, alias or key (case-insensitive), else the most important ones; tenant tx.
SELECT n.id, n.external_key AS key, n.kind::text AS kind, coalesce(n.metadata ->> 'entity_type', 'concept') AS type,
       n.name, coalesce(n.metadata -> 'aliases', '[]'::jsonb) AS aliases,
       coalesce((n.metadata ->> 'mentions')::int, 0) AS mentions,
       coalesce((n.metadata ->> 'documents')::int, 0) AS documents, n.importance_score AS importance
FROM nodes_v2 n
WHERE n.tenant_id = %(tenant_id)s AND n.kind IN ('entity', 'concept') AND n.deleted_at IS NULL
  AND (%(name)s::text IS NULL OR lower(n.name) = lower(%(name)s) OR n.external_key = ANY(%(keys)s)
       OR n.metadata -> 'aliases' ? %(name)s)
ORDER BY n.importance_score DESC, n.name
LIMIT %(limit)s
