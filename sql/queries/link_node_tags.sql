-- node_tags_v2 rows for document -> tag assignments staged as tagged_with edges; tenant transaction.
INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence)
SELECT s.src_id, tg.id, %(tenant_id)s, 'glyph-pipeline', 1.0
FROM stage_edges s
JOIN tags_v2 tg ON tg.tenant_id = %(tenant_id)s AND 'tag:' || tg.slug = s.dst_key
WHERE s.edge_type = 'tagged_with' AND s.src_id IS NOT NULL
ON CONFLICT DO NOTHING
