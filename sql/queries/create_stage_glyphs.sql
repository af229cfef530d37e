-- Per-session staging table for projected positions (glyph_io/bulk.py); rows vanish at COMMIT.
CREATE TEMP TABLE IF NOT EXISTS stage_glyphs (node_id uuid, kind text, x double precision, y double precision,
                                              z double precision) ON COMMIT DELETE ROWS;
CREATE INDEX IF NOT EXISTS stage_glyphs_node_idx ON stage_glyphs (node_id)
