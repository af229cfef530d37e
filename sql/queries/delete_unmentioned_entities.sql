-- Entity nodes nothing mentions any more (not in the new build): deleted, so consumers get delete events; their
-- edges go with them (FK cascade). Tenant transaction, after stage_nodes holds the new build.
DELETE FROM nodes_v2 n
WHERE n.tenant_id = %(tenant_id)s AND n.kind = 'entity' AND n.metadata ? 'mentions'
  AND NOT EXISTS (SELECT 1 FROM stage_nodes s WHERE s.external_key = n.external_key)
