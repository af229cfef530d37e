-- Per-session staging table for the chunks of a batch of files (glyph_io/bulk.py); rows vanish at COMMIT.
CREATE TEMP TABLE IF NOT EXISTS stage_chunks (
    file_id uuid, chunk_index integer, chunk_text text, content_hash text, token_count integer, start_token integer,
    cut_chars integer
) ON COMMIT DELETE ROWS;
CREATE INDEX IF NOT EXISTS stage_chunks_key_idx ON stage_chunks (file_id, chunk_index)
