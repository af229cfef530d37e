-- Folder nesting as tag hierarchy: parent folder tag -> child folder tag (is_a); tenant transaction.
INSERT INTO tag_links_v2 (parent_id, child_id, tenant_id, kind)
SELECT p.id, c.id, %(tenant_id)s, 'is_a'
FROM unnest(%(parents)s::text[], %(children)s::text[]) AS l(parent, child)
JOIN tags_v2 p ON p.tenant_id = %(tenant_id)s AND p.slug = l.parent
JOIN tags_v2 c ON c.tenant_id = %(tenant_id)s AND c.slug = l.child
WHERE p.id <> c.id
ON CONFLICT DO NOTHING
