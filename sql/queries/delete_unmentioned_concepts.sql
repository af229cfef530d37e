-- Concept nodes of the entity layer that nothing mentions any more: deleted when no other edge (a folder or
-- front-matter tag) points at them, otherwise they are plain tags again (this layer's metadata and vector gone).
-- Runs after delete_stale_knowledge_edges; tenant transaction.
WITH gone AS (
    SELECT n.id, EXISTS (SELECT 1 FROM edges_v2 e WHERE e.tenant_id = n.tenant_id AND e.dst_id = n.id) AS tagged
    FROM nodes_v2 n
    WHERE n.tenant_id = %(tenant_id)s AND n.kind = 'concept' AND n.metadata ? 'mentions'
      AND NOT EXISTS (SELECT 1 FROM stage_nodes s WHERE s.external_key = n.external_key)
), untag AS (
    UPDATE nodes_v2 n
    SET metadata = jsonb_build_object('tag_slug', n.metadata -> 'tag_slug'), embedding_384 = NULL,
        embedding_model = NULL, importance_score = 0, summary = 'Tag ' || n.name
    FROM gone g WHERE n.tenant_id = %(tenant_id)s AND n.id = g.id AND g.tagged
    RETURNING n.id
)
DELETE FROM nodes_v2 n USING gone g
WHERE n.tenant_id = %(tenant_id)s AND n.id = g.id AND NOT g.tagged
