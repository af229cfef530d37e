-- Whether pgvector's hnsw access method exists (pgvector >= 0.5); else the IVFFlat fallback is built (D17).
SELECT count(*) > 0 FROM pg_am WHERE amname = 'hnsw'
