-- New list count for the IVFFlat index (owner connection); takes effect at the REINDEX that follows (rebuild_ivfflat.sql).
ALTER INDEX nodes_v2_emb384_ivf_idx SET (lists = {lists})
