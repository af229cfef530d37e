-- Fallback where the hnsw access method is missing (pgvector < 0.5): IVFFlat, built after data is loaded (D17).
CREATE INDEX CONCURRENTLY IF NOT EXISTS nodes_v2_emb384_ivf_idx
    ON nodes_v2 USING ivfflat (embedding_384 vector_cosine_ops) WITH (lists = 100)
