-- Vector search that stays correct under RLS, as database defaults for every role (app, readonly, owner).
-- HNSW filters after the index scan: with RLS (or WHERE tenant_id) a tenant owning 1 % of the rows got 0 of 10
-- neighbours at the default ef_search 40 (contract D18). ef_search 200: recall@10 0.96 for a tenant holding 50 %
-- of 1M rows at the same p95 as 100 (0.94); tenants with a partial index of their own are exact-ish anyway.
-- pgvector 0.8's iterative scan keeps scanning until the LIMIT is filled; max_scan_tuples bounds the work. Real setting names are hnsw.* (D6: not vector.hnsw.*).
-- Runs as the owner of the database inside the migration transaction; idempotent.
SELECT '[1]'::vector;  -- load the vector library so its settings are known (and validated) below
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET hnsw.iterative_scan = relaxed_order', current_database());
    EXECUTE format('ALTER DATABASE %I SET hnsw.ef_search = 200', current_database());
    EXECUTE format('ALTER DATABASE %I SET hnsw.max_scan_tuples = 50000', current_database());
    EXECUTE format('ALTER DATABASE %I SET ivfflat.iterative_scan = relaxed_order', current_database());
END
$$;

-- Pipeline bookkeeping added after 10-pipeline-state.sql: the fingerprint of the vectors a projection was fitted on,
-- so a run over unchanged vectors reuses the basis and moves no glyph.
ALTER TABLE projection_state ADD COLUMN IF NOT EXISTS fingerprint text;
