-- Per-session staging table for edge rows between external keys (glyph_io/bulk.py); rows vanish at COMMIT.
CREATE TEMP TABLE IF NOT EXISTS stage_edges (
    src_key text, dst_key text, edge_type text, relation_name text, weight double precision
) ON COMMIT DELETE ROWS;
CREATE INDEX IF NOT EXISTS stage_edges_key_idx ON stage_edges (src_key, dst_key, edge_type)
