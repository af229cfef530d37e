-- Chunk nodes of re-graphed documents whose text changed (their similarity edges must go before the update);
-- stage_nodes holds the new versions; tenant transaction.
SELECT n.id
FROM stage_nodes s
JOIN nodes_v2 n ON n.tenant_id = %(tenant_id)s AND n.external_key = s.external_key
WHERE s.kind = 'chunk' AND n.source_key = ANY(%(regraphed)s) AND s.content_hash IS DISTINCT FROM n.content_hash
