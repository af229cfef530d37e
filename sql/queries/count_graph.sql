-- Live nodes, edges, and edges touching a deleted node (must be 0) of the tenant; tenant transaction.
-- Dangling edges are found from the deleted nodes' side through the two (tenant_id, src_id / dst_id) indexes; an OR
-- join (n.id IN (e.src_id, e.dst_id)) was planned as a nested loop over every edge x node (22 s at 10k chunks).
SELECT (SELECT count(*) FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND deleted_at IS NULL) AS live_nodes,
       (SELECT count(*) FROM edges_v2 WHERE tenant_id = %(tenant_id)s) AS live_edges,
       (SELECT count(*) FROM (
            SELECT e.id FROM nodes_v2 n JOIN edges_v2 e ON e.tenant_id = n.tenant_id AND e.src_id = n.id
            WHERE n.tenant_id = %(tenant_id)s AND n.deleted_at IS NOT NULL
            UNION
            SELECT e.id FROM nodes_v2 n JOIN edges_v2 e ON e.tenant_id = n.tenant_id AND e.dst_id = n.id
            WHERE n.tenant_id = %(tenant_id)s AND n.deleted_at IS NOT NULL) AS d) AS dangling_edges
