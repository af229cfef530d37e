-- A partial HNSW index for one tenant's vectors (see glyph_core/vector_index.py); owner, autocommit (CONCURRENTLY).
-- {index} and {tenant} are composed with psycopg.sql (identifier and literal), never string-formatted.
CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON nodes_v2
    USING hnsw (embedding_384 vector_cosine_ops) WITH (m = 16, ef_construction = 64)
    WHERE tenant_id = {tenant}::uuid
