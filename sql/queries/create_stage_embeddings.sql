-- Per-transaction staging table for COPY of chunk vectors.
CREATE TEMP TABLE IF NOT EXISTS stage_embeddings (obj_id uuid, content_hash text, vec vector(384))
ON COMMIT DELETE ROWS
