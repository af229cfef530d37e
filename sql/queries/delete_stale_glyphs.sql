-- Glyphs of this window whose node is no longer alive in it; tenant transaction.
DELETE FROM glyphs_4d g
WHERE g.tenant_id = %(tenant_id)s AND g.t = %(t)s AND g.type = 'visualization'
  AND NOT EXISTS (SELECT 1 FROM stage_glyphs s WHERE s.node_id = g.related_node_id)
