-- 16-many-tenants.sql: planner settings for the app's RLS-only SQL across thousands of tenants of every size.
--
-- plan_cache_mode = force_custom_plan (database default, every role): the app's driver prepares statements on pooled
-- connections; with the default `auto` PostgreSQL freezes one generic plan after five executions, and which plan it
-- freezes depends on the tenant that ran the sixth (measured at 1M rows / 10,006 tenants: when it froze HNSW for
-- everyone, a 16-row tenant's top-10 took 420 ms at recall 0.05; when it froze the tenant index, the 50 % tenant
-- took 470 ms). Planning each execution costs 0.03-0.2 ms. The pipeline's own sessions set `auto` at connect
-- (glyph_io/database.py): its bulk writes run foreign-key checks per row, whose saved plans must not be re-planned.
-- tenant_id statistics target 10000: the most-common-values list then holds every tenant with more than a handful of
-- rows up to 10,000 tenants, so each tenant's row estimate (and with it exact scan vs HNSW) is its own, not the
-- average of the tail. ANALYZE of 1M rows samples them all (5.4 s). Idempotent.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END
$$;
ALTER TABLE public.nodes_v2 ALTER COLUMN tenant_id SET STATISTICS 10000;

-- ... but not inside our PL/pgSQL functions: their static statements (the per-row consistency triggers, audit,
-- history) are the same plan for every call, and re-planning them on each call cost 1.1 s instead of 0.04 s for
-- the 5,364 edge inserts of a 169-document run. A function's own SET wins while it runs.
DO $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'plpgsql'
                 AND pg_catalog.pg_get_userbyid(p.proowner) = current_user
                 AND NOT coalesce('plan_cache_mode=auto' = ANY (p.proconfig), false)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = auto', fn);
    END LOOP;
END
$$;
