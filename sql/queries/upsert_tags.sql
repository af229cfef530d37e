-- Tags of the staged documents (tags_v2), their hierarchy from folder nesting (tag_links_v2) and the document->tag
-- assignments (node_tags_v2); all idempotent; tenant transaction.
WITH t AS (
    SELECT DISTINCT s.metadata->>'tag_slug' AS slug, s.name
    FROM stage_nodes s WHERE s.kind = 'concept'
), ins AS (
    INSERT INTO tags_v2 (tenant_id, slug, name, category)
    SELECT %(tenant_id)s, slug, name, 'concept' FROM t
    ON CONFLICT (tenant_id, slug) DO NOTHING
    RETURNING id
)
SELECT count(*) FROM ins
