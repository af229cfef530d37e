-- The IVFFlat index on embedding_384, built after data is loaded (D17) with lists sized to the table; owner
-- connection, autocommit (CONCURRENTLY). The list count is a literal composed in by IndexStore.
CREATE INDEX CONCURRENTLY IF NOT EXISTS nodes_v2_emb384_ivf_idx
    ON nodes_v2 USING ivfflat (embedding_384 vector_cosine_ops) WITH (lists = {lists})
