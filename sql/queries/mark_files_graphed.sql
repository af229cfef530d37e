-- Link files and chunks to their nodes and record the content version now in the graph; tenant transaction.
-- Each chunk finds its node through the unique (tenant_id, external_key) index, one probe per chunk: a join here
-- was planned from statistics that cannot know the nodes inserted earlier in this same transaction (a new tenant
-- "has no nodes"), and nested-looped 21,000 chunks over 21,000 nodes for minutes.
WITH fc AS (
    UPDATE file_chunks c SET node_id = linked.node_id
    FROM (SELECT c2.id, (SELECT n.id FROM nodes_v2 n
                         WHERE n.tenant_id = c2.tenant_id
                           AND n.external_key = 'chunk:' || f.storage_path || '#' || c2.chunk_index) AS node_id
          FROM files f JOIN file_chunks c2 ON c2.file_id = f.id AND c2.tenant_id = f.tenant_id
          WHERE f.tenant_id = %(tenant_id)s AND f.id = ANY(%(file_ids)s)) AS linked
    WHERE c.id = linked.id AND c.node_id IS DISTINCT FROM linked.node_id
    RETURNING c.id
)
UPDATE files f SET graphed_hash = f.content_hash, processing_status = 'completed',
       node_id = (SELECT n.id FROM nodes_v2 n WHERE n.tenant_id = f.tenant_id AND n.external_key = 'doc:' || f.storage_path)
WHERE f.tenant_id = %(tenant_id)s AND f.id = ANY(%(file_ids)s)
