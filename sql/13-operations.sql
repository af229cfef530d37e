-- 13-operations.sql: what operators and housekeeping read and prune, each in one statement whatever the number of
-- tenants: the outbox status per tenant, the metrics of every tenant, the delivered-events counter, and retention
-- of published events and audit rows.
--
-- Same rules as 03/05/10/11: idempotent, stop-on-error safe; every tenant table ENABLE + FORCE RLS with
-- tenant_isolation. The definer functions return counts only, never row content; the prune functions are the
-- owner's (glyph_admin), never glyph_app's: the app role cannot shorten the audit trail (D12).

-- outbox_counters: events delivered per tenant, ever (a Prometheus counter must not shrink when retention prunes
-- published rows); the publisher adds to it in the transaction that marks events published.
CREATE TABLE IF NOT EXISTS public.outbox_counters (
    tenant_id   uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
    published   bigint NOT NULL DEFAULT 0,
    dead        bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE TRIGGER update_outbox_counters_updated_at
    BEFORE UPDATE ON public.outbox_counters
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
ALTER TABLE public.outbox_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.outbox_counters FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.outbox_counters;
CREATE POLICY tenant_isolation ON public.outbox_counters
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
DROP POLICY IF EXISTS outbox_counters_admin_select ON public.outbox_counters;
CREATE POLICY outbox_counters_admin_select ON public.outbox_counters FOR SELECT TO glyph_admin USING (true);
GRANT SELECT, INSERT, UPDATE ON public.outbox_counters TO glyph_app;
GRANT SELECT ON public.outbox_counters TO glyph_readonly;

-- The owner (glyph_admin) may read quarantine rows of every tenant through the definer functions below, and
-- delete published events and old audit rows through the prune functions.
DROP POLICY IF EXISTS quarantine_admin_select ON public.ingest_quarantine;
CREATE POLICY quarantine_admin_select ON public.ingest_quarantine FOR SELECT TO glyph_admin USING (true);
DROP POLICY IF EXISTS outbox_admin_delete ON public.change_outbox;
CREATE POLICY outbox_admin_delete ON public.change_outbox FOR DELETE TO glyph_admin USING (published_at IS NOT NULL);
DROP POLICY IF EXISTS audit_admin_delete ON public.audit_log;
CREATE POLICY audit_admin_delete ON public.audit_log FOR DELETE TO glyph_admin USING (true);

-- outbox_status: per tenant with pending or dead events (or a single tenant): counts, the oldest pending
-- event's age and the newest error, for `glyph outbox status` and the outbox asset check.
CREATE OR REPLACE FUNCTION public.outbox_status()
RETURNS TABLE (tenant_id uuid, slug text, pending bigint, dead bigint, published bigint,
               oldest_pending_age_s double precision, last_error text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    WITH open AS (
        SELECT o.tenant_id,
               count(*) FILTER (WHERE o.dead_at IS NULL) AS pending,
               count(*) FILTER (WHERE o.dead_at IS NOT NULL) AS dead,
               EXTRACT(EPOCH FROM clock_timestamp() - min(o.occurred_at) FILTER (WHERE o.dead_at IS NULL))
                   ::double precision AS oldest,
               (array_agg(coalesce(o.dead_reason, o.last_error) ORDER BY o.seq DESC)
                    FILTER (WHERE coalesce(o.dead_reason, o.last_error) IS NOT NULL))[1] AS last_error
        FROM public.change_outbox AS o
        WHERE o.published_at IS NULL
        GROUP BY o.tenant_id
    )
    SELECT t.id, t.slug, open.pending, open.dead, coalesce(c.published, 0), coalesce(open.oldest, 0), open.last_error
    FROM open
    JOIN public.tenants AS t ON t.id = open.tenant_id
    LEFT JOIN public.outbox_counters AS c ON c.tenant_id = open.tenant_id
    ORDER BY t.slug
$fn$;

-- tenant_metrics: every tenant's exporter figures in one statement (glyph metrics): delivered events (counter),
-- pending and dead events, the oldest pending event's age, quarantined objects.
CREATE OR REPLACE FUNCTION public.tenant_metrics()
RETURNS TABLE (tenant_id uuid, slug text, status text, published bigint, pending bigint, dead bigint,
               lag_seconds double precision, quarantined bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    WITH open AS (
        SELECT o.tenant_id,
               count(*) FILTER (WHERE o.dead_at IS NULL) AS pending,
               count(*) FILTER (WHERE o.dead_at IS NOT NULL) AS dead,
               EXTRACT(EPOCH FROM clock_timestamp() - min(o.occurred_at) FILTER (WHERE o.dead_at IS NULL))
                   ::double precision AS lag
        FROM public.change_outbox AS o
        WHERE o.published_at IS NULL
        GROUP BY o.tenant_id
    ), refused AS (
        SELECT q.tenant_id, count(*) AS n FROM public.ingest_quarantine AS q GROUP BY q.tenant_id
    )
    SELECT t.id, t.slug, t.status::text, coalesce(c.published, 0), coalesce(open.pending, 0), coalesce(open.dead, 0),
           coalesce(open.lag, 0), coalesce(refused.n, 0)
    FROM public.tenants AS t
    LEFT JOIN open ON open.tenant_id = t.id
    LEFT JOIN refused ON refused.tenant_id = t.id
    LEFT JOIN public.outbox_counters AS c ON c.tenant_id = t.id
    ORDER BY t.slug
$fn$;

-- prune_published_events / prune_audit_log: retention; delete at most `batch` rows per call (the caller loops),
-- so a first prune of a large backlog never holds long locks. Dead and pending events are never pruned.
CREATE OR REPLACE FUNCTION public.prune_published_events(keep interval, batch integer DEFAULT 50000)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    WITH gone AS (
        DELETE FROM public.change_outbox AS o
        WHERE o.seq IN (SELECT x.seq FROM public.change_outbox AS x
                        WHERE x.published_at IS NOT NULL AND x.published_at < now() - keep
                        ORDER BY x.published_at LIMIT batch)
        RETURNING 1
    )
    SELECT count(*) FROM gone
$fn$;

CREATE OR REPLACE FUNCTION public.prune_audit_log(keep interval, batch integer DEFAULT 50000)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    WITH gone AS (
        DELETE FROM public.audit_log AS a
        WHERE a.id IN (SELECT x.id FROM public.audit_log AS x WHERE x.at < now() - keep
                       ORDER BY x.id LIMIT batch)
        RETURNING 1
    )
    SELECT count(*) FROM gone
$fn$;
CREATE INDEX IF NOT EXISTS audit_log_at_idx ON public.audit_log (at);

REVOKE EXECUTE ON FUNCTION public.outbox_status(), public.tenant_metrics(),
    public.prune_published_events(interval, integer), public.prune_audit_log(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.outbox_status(), public.tenant_metrics() TO glyph_app, glyph_readonly;

-- Hard check: no tenant table without ENABLE + FORCE RLS and tenant_isolation (D22).
DO $verify$ BEGIN PERFORM public.assert_tenant_isolation(); END $verify$;
