-- The HNSW index on embedding_384 when it is missing (e.g. dropped by a DBA); owner connection, autocommit.
CREATE INDEX CONCURRENTLY IF NOT EXISTS nodes_v2_emb384_hnsw_idx
    ON nodes_v2 USING hnsw (embedding_384 vector_cosine_ops) WITH (m = 16, ef_construction = 64)
