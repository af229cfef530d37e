-- Link files and chunks to their nodes and record the content version now in the graph; tenant transaction.
WITH fc AS (
    UPDATE file_chunks c SET node_id = n.id
    FROM files f, nodes_v2 n
    WHERE f.id = c.file_id AND f.id = ANY(%(file_ids)s) AND c.tenant_id = %(tenant_id)s
      AND n.tenant_id = c.tenant_id AND n.external_key = 'chunk:' || f.storage_path || '#' || c.chunk_index
      AND c.node_id IS DISTINCT FROM n.id
    RETURNING c.id
)
UPDATE files f SET graphed_hash = f.content_hash, processing_status = 'completed',
       node_id = (SELECT n.id FROM nodes_v2 n WHERE n.tenant_id = f.tenant_id AND n.external_key = 'doc:' || f.storage_path)
WHERE f.tenant_id = %(tenant_id)s AND f.id = ANY(%(file_ids)s)
