-- Live nodes, edges, and edges touching a deleted node (must be 0) of the tenant; tenant transaction.
SELECT (SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL) AS live_nodes,
       (SELECT count(*) FROM edges_v2 WHERE tenant_id = %(tenant_id)s) AS live_edges,
       (SELECT count(*) FROM edges_v2 e JOIN nodes_v2 n ON n.id IN (e.src_id, e.dst_id)
        WHERE e.tenant_id = %(tenant_id)s AND n.tenant_id = e.tenant_id AND n.deleted_at IS NOT NULL) AS dangling_edges
