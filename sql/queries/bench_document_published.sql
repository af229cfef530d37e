-- Freshness bench: when each document's node event was first acknowledged by Kafka (RLS: the tenant of the
-- transaction).
SELECT n.source_key, min(o.published_at)
FROM nodes_v2 AS n
JOIN change_outbox AS o ON o.entity_id = n.id AND o.entity_type = 'node'
WHERE n.kind = 'document' AND n.source_key = ANY (%(keys)s) AND o.published_at IS NOT NULL
GROUP BY n.source_key
