-- Per-transaction staging tables for COPY of node and edge rows keyed by external keys.
CREATE TEMP TABLE IF NOT EXISTS stage_nodes (
    external_key text, kind text, name text, summary text, content text, content_hash text, source_key text,
    source_version text, embedding vector(384), color text, size double precision, metadata jsonb
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_edges (
    src_key text, dst_key text, edge_type text, relation_name text, weight double precision
) ON COMMIT DELETE ROWS
