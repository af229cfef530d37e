-- Per-session staging table for node rows keyed by external key (glyph_io/bulk.py); rows vanish at COMMIT.
CREATE TEMP TABLE IF NOT EXISTS stage_nodes (
    external_key text, kind text, name text, summary text, content text, content_hash text, source_key text,
    source_version text, embedding vector(384), color text, size double precision, metadata jsonb,
    importance double precision
) ON COMMIT DELETE ROWS;
CREATE INDEX IF NOT EXISTS stage_nodes_key_idx ON stage_nodes (external_key)
