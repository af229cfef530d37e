-- 11-change-outbox.sql: transactional outbox of graph changes (nodes, edges, glyphs) for the Kafka publisher.
--
-- Triggers on nodes_v2, edges_v2 and glyphs_4d write one event per inserted, materially updated or deleted row
-- in the same transaction as the change (an UPDATE that only bumps updated_at writes nothing). Row images carry
-- no vectors. The publisher (glyph_app, in a tenant's context) reads pending events and marks them published or
-- dead (rejected for good by the client or the broker: kept, with the reason, until an operator re-drives it);
-- it can neither insert nor delete events. Idempotent, stop-on-error safe, RLS + FORCE + tenant_isolation.

-- change_outbox: seq orders events; event_id is the consumer's idempotency key; txid groups one transaction.
CREATE TABLE IF NOT EXISTS public.change_outbox (
    seq           bigserial PRIMARY KEY,
    event_id      uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT change_outbox_event_id_key UNIQUE,
    tenant_id     uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    entity_type   text NOT NULL CONSTRAINT change_outbox_entity_type_check CHECK (entity_type IN ('node', 'edge', 'glyph')),
    entity_id     uuid NOT NULL,
    op            char(1) NOT NULL CONSTRAINT change_outbox_op_check CHECK (op IN ('c', 'u', 'd')),
    before        jsonb,
    after         jsonb,
    txid          bigint NOT NULL DEFAULT txid_current(),
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text
);
-- dead_at / dead_reason: the event was rejected permanently (too large, invalid topic, not authorized, not
-- serializable); later events keep flowing; `glyph outbox retry` clears these to re-drive it.
ALTER TABLE public.change_outbox ADD COLUMN IF NOT EXISTS dead_at timestamptz;
ALTER TABLE public.change_outbox ADD COLUMN IF NOT EXISTS dead_reason text;
-- Pending (unpublished, not dead) events per tenant in order: the publisher's scan; dead events of a tenant for
-- operators; the full (tenant_id, seq) index serves tenant deletion's cascade (D16); published_at for retention.
DROP INDEX IF EXISTS public.change_outbox_pending_idx;
CREATE INDEX IF NOT EXISTS change_outbox_pending_live_idx ON public.change_outbox (tenant_id, seq)
    WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX IF NOT EXISTS change_outbox_dead_idx ON public.change_outbox (tenant_id, seq) WHERE dead_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS change_outbox_tenant_seq_idx ON public.change_outbox (tenant_id, seq);
CREATE INDEX IF NOT EXISTS change_outbox_published_idx ON public.change_outbox (published_at)
    WHERE published_at IS NOT NULL;

-- emit_change_event: set-based per statement over the transition tables; SECURITY DEFINER because glyph_app
-- may not insert events itself. Rows of a tenant being deleted produce no events. An optional second trigger
-- argument names columns whose change alone is no event (nodes_v2: the glyph stage's pos_x/pos_y/pos_z, which
-- glyph events carry; a projection refit would otherwise re-send every node of the tenant).
CREATE OR REPLACE FUNCTION public.emit_change_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    -- statement triggers fire for statements that touched no row (e.g. an upsert whose rows were all unchanged)
    IF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM old_rows LIMIT 1;
    ELSE
        PERFORM 1 FROM new_rows LIMIT 1;
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'INSERT INTO public.change_outbox (tenant_id, entity_type, entity_id, op, before, after) '
        'SELECT c.tenant_id, $1, c.record_id, $2, c.old_data, c.new_data '
        '  FROM (%s) AS c '
        ' WHERE EXISTS (SELECT 1 FROM public.tenants AS t WHERE t.id = c.tenant_id)',
        public.transition_images_sql(TG_RELID, TG_OP, 'id',
                                     CASE WHEN TG_NARGS > 1 THEN TG_ARGV[1]::text[] ELSE '{}'::text[] END))
    USING TG_ARGV[0], CASE TG_OP WHEN 'INSERT' THEN 'c' WHEN 'UPDATE' THEN 'u' ELSE 'd' END;
    RETURN NULL;
END
$fn$;

-- Outbox triggers: one per event (transition tables require single-event triggers).
DO $outbox$
DECLARE
    spec record;
BEGIN
    FOR spec IN SELECT * FROM (VALUES ('nodes_v2', 'node'), ('edges_v2', 'edge'), ('glyphs_4d', 'glyph'))
                  AS s(table_name, entity_type)
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON public.%I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.emit_change_event(%L)',
                       'outbox_' || spec.table_name || '_insert', spec.table_name, spec.entity_type);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON public.%I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.emit_change_event(%L, %L)',
                       'outbox_' || spec.table_name || '_update', spec.table_name, spec.entity_type,
                       CASE spec.table_name WHEN 'nodes_v2' THEN '{pos_x,pos_y,pos_z}' ELSE '{}' END);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON public.%I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.emit_change_event(%L)',
                       'outbox_' || spec.table_name || '_delete', spec.table_name, spec.entity_type);
    END LOOP;
END
$outbox$;

-- outbox_pending_by_tenant: per tenant with pending events, their number, the highest sequence number (the
-- sensor's run key: it grows with every new event, so a backlog that repeats an earlier shape still triggers) and
-- the oldest one's age. SECURITY DEFINER reading through the owner's glyph_admin policy below; no event content.
DROP FUNCTION IF EXISTS public.outbox_pending_by_tenant();
CREATE OR REPLACE FUNCTION public.outbox_pending_by_tenant()
RETURNS TABLE (tenant_id uuid, pending bigint, max_seq bigint, oldest_age_s double precision)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    SELECT o.tenant_id, count(*), max(o.seq),
           EXTRACT(EPOCH FROM clock_timestamp() - min(o.occurred_at))::double precision
    FROM public.change_outbox AS o
    WHERE o.published_at IS NULL AND o.dead_at IS NULL
    GROUP BY o.tenant_id
$fn$;

-- Row-level security: tenant_isolation for everyone; glyph_admin (the owner, via the function above) reads all.
ALTER TABLE public.change_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.change_outbox FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.change_outbox;
CREATE POLICY tenant_isolation ON public.change_outbox
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
DROP POLICY IF EXISTS outbox_admin_select ON public.change_outbox;
CREATE POLICY outbox_admin_select ON public.change_outbox FOR SELECT TO glyph_admin USING (true);

-- Grants: the publisher reads its tenant's events and updates only the delivery columns.
REVOKE ALL ON public.change_outbox FROM glyph_app, glyph_readonly;
GRANT SELECT ON public.change_outbox TO glyph_app, glyph_readonly;
GRANT UPDATE (published_at, attempts, last_error, dead_at, dead_reason) ON public.change_outbox TO glyph_app;
REVOKE ALL ON SEQUENCE public.change_outbox_seq_seq FROM glyph_app, glyph_readonly;
REVOKE EXECUTE ON FUNCTION public.emit_change_event(), public.outbox_pending_by_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.outbox_pending_by_tenant() TO glyph_app;

-- Hard check: no tenant table without ENABLE + FORCE RLS and tenant_isolation (D22).
DO $verify$ BEGIN PERFORM public.assert_tenant_isolation(); END $verify$;
