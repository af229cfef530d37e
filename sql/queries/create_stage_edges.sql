-- Per-session staging table for edge rows between external keys (glyph_io/bulk.py); rows vanish at COMMIT.
-- src_id / dst_id: the ends, resolved before staging (NodeEdgeStore.edge_ids); the merges join on them.
CREATE TEMP TABLE IF NOT EXISTS stage_edges (
    src_key text, dst_key text, edge_type text, relation_name text, weight double precision, src_id uuid, dst_id uuid
) ON COMMIT DELETE ROWS;
CREATE INDEX IF NOT EXISTS stage_edges_key_idx ON stage_edges (src_key, dst_key, edge_type);
CREATE INDEX IF NOT EXISTS stage_edges_id_idx ON stage_edges (src_id, dst_id, edge_type)
