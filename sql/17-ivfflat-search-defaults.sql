-- 17-ivfflat-search-defaults.sql: how the app's RLS-only vector SQL uses the IVFFlat index that vector_index builds
-- on nodes_v2.embedding_384 once the table is large (glyph_io/stores/indexes.py). Database defaults, every role.
--
-- Why IVFFlat next to the contract's HNSW: RLS filters after the index scan, so a tenant holding 1 % of 1M rows
-- makes HNSW walk ~1,000 foreign candidates through its graph (p95 16.6-29 ms, 9,400 buffer hits). IVFFlat reads a
-- few whole lists in page order and sorts them: the same tenant p95 7.4-12.5 ms, 10 % and 50 % tenants 5.6-8 ms,
-- recall@10 0.96-1.0 (docs/design.md, README "Benchmarks").
-- probes 5 with lists = rows / 1000: recall >= 0.95 down to tenants of ~4,500 rows in the bench. It also keeps
-- pgvector's cost for an IVFFlat scan (index cost x probes / lists, about 2,500 at 1M rows) under its HNSW cost
-- (about 2,900 at ef_search 200), so the planner picks IVFFlat, and exact search through the tenant index for
-- tenants under ~2,700 rows. More probes would hand the mid-size tenants back to HNSW.
-- max_probes bounds the iterative scan (relaxed order, sql/12) for a tenant with few rows near the query: at most
-- 100 lists (10 % of the table at 1M rows) instead of all of them.
SELECT '[1]'::vector;  -- load the vector library so its settings are known (and validated) below
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET ivfflat.probes = 5', current_database());
    EXECUTE format('ALTER DATABASE %I SET ivfflat.max_probes = 100', current_database());
END
$$;
