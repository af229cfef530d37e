-- Per-session staging table for chunk vectors (binary COPY of numpy arrays, glyph_io/bulk.py).
CREATE TEMP TABLE IF NOT EXISTS stage_embeddings (obj_id uuid, content_hash text, vec vector(384))
ON COMMIT DELETE ROWS
