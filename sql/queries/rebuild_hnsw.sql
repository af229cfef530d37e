-- Rebuild the HNSW index without blocking readers or writers; owner connection in autocommit (CONCURRENTLY).
REINDEX INDEX CONCURRENTLY nodes_v2_emb384_hnsw_idx
