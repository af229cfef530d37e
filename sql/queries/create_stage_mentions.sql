-- Per-session staging table for the mentions found in chunk texts (glyph_io/bulk.py); rows vanish at COMMIT.
CREATE TEMP TABLE IF NOT EXISTS stage_mentions (
    content_hash text, key text, kind text, type text, surface text, surfaces text[], mentions integer, score real,
    vec vector(384)
) ON COMMIT DELETE ROWS
