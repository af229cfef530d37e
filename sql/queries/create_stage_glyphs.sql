-- Per-transaction staging table for COPY of projected positions.
CREATE TEMP TABLE IF NOT EXISTS stage_glyphs (node_id uuid, kind text, x double precision, y double precision,
                                              z double precision) ON COMMIT DELETE ROWS
