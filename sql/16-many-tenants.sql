-- 16-many-tenants.sql: planner settings for the app's RLS-only SQL across thousands of tenants of every size.
--
-- plan_cache_mode = force_custom_plan (database default, every role): the app's driver prepares statements on pooled
-- connections; with the default `auto` PostgreSQL freezes one generic plan after five executions, and which plan it
-- freezes depends on the tenant that ran the sixth (measured at 1M rows / 10,006 tenants: when it froze HNSW for
-- everyone, a 16-row tenant's top-10 took 420 ms at recall 0.05; when it froze the tenant index, the 50 % tenant
-- took 470 ms). Planning each execution costs 0.03-0.2 ms. The pipeline's own sessions set `auto` at connect
-- (glyph_io/database.py): its bulk writes run foreign-key checks and consistency triggers per row, whose saved
-- plans must not be re-planned (1,000 documents: the entity stage 22.5 s instead of 2.9 s).
-- tenant_id statistics target 10000: the most-common-values list then holds every tenant with more than a handful of
-- rows up to 10,000 tenants, so each tenant's row estimate (and with it exact scan vs HNSW) is its own, not the
-- average of the tail. ANALYZE of 1M rows samples them all (5.4 s). Idempotent.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END
$$;
ALTER TABLE public.nodes_v2 ALTER COLUMN tenant_id SET STATISTICS 10000;

-- Not on our functions: a SET clause would change the contract's pinned configuration of the definer functions (D8)
-- and scope the tenant context of set_tenant_context to the call (D2). Triggers fired by the pipeline's bulk
-- writes keep cached plans because those sessions connect with plan_cache_mode = auto; the app writes rows one
-- at a time. An earlier version of this file set it on the functions: undone here. Idempotent.
DO $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
               WHERE p.pronamespace = 'public'::regnamespace
                 AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'plan_cache_mode=%')
    LOOP
        EXECUTE format('ALTER FUNCTION %s RESET plan_cache_mode', fn);
    END LOOP;
END
$$;
