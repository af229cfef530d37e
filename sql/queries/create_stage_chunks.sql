-- Per-transaction staging table for COPY of chunk rows.
CREATE TEMP TABLE IF NOT EXISTS stage_chunks (
    file_id uuid, chunk_index integer, chunk_text text, content_hash text, token_count integer, start_token integer
) ON COMMIT DELETE ROWS
