-- Ids of the live nodes of these source objects (a document's node and its chunks); tenant transaction.
SELECT id FROM nodes_v2 WHERE tenant_id = %(tenant_id)s AND source_key = ANY(%(regraphed)s) AND deleted_at IS NULL
