-- Retrain the IVFFlat lists on today's rows without blocking readers or writers; owner connection, autocommit.
REINDEX INDEX CONCURRENTLY nodes_v2_emb384_ivf_idx
