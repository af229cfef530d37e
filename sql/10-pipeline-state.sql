-- 10-pipeline-state.sql: the pipeline's own state tables (quarantine, projection state, index maintenance).
--
-- Same rules as 03/05: idempotent, stop-on-error safe, psql- or migrate-appliable; every table holding tenant
-- data has ENABLE + FORCE RLS and a tenant_isolation policy, and the file ends with the hard RLS check (D22).
-- Grants: glyph_app does DML on tenant state, glyph_readonly reads; index_maintenance is written by the owner only.

-- ingest_quarantine: source objects the pipeline refused (too big, unparsable, ...), once per object version.
CREATE TABLE IF NOT EXISTS public.ingest_quarantine (
    tenant_id    uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    object_key   text NOT NULL,
    etag         text NOT NULL DEFAULT '',
    reason_code  text NOT NULL,
    reason       text,
    size_bytes   bigint,
    detected_at  timestamptz NOT NULL DEFAULT now(),
    run_id       text,
    CONSTRAINT ingest_quarantine_pkey PRIMARY KEY (tenant_id, object_key, etag)
);

-- projection_state: per tenant and embedding model, the fitted 3-D projection (mean and principal components)
-- that places nodes and glyphs; version increases on every refit.
CREATE TABLE IF NOT EXISTS public.projection_state (
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    model       text NOT NULL,
    mean        double precision[] NOT NULL,
    components  double precision[] NOT NULL,
    n_fit       bigint NOT NULL DEFAULT 0,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projection_state_pkey PRIMARY KEY (tenant_id, model)
);
CREATE OR REPLACE TRIGGER update_projection_state_updated_at
    BEFORE UPDATE ON public.projection_state
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- index_maintenance: when and from how many rows each vector index was (re)built; no tenant data.
CREATE TABLE IF NOT EXISTS public.index_maintenance (
    index_name     text PRIMARY KEY,
    method         text NOT NULL,
    rows_at_build  bigint NOT NULL DEFAULT 0,
    built_at       timestamptz NOT NULL DEFAULT now()
);

-- nodes_v2.source_key (our extra column): the graph stage finds a document's nodes by it when a new version
-- replaces them, and a removed object's nodes when it disappears.
CREATE INDEX IF NOT EXISTS nodes_v2_tenant_source_idx ON public.nodes_v2 (tenant_id, source_key)
    WHERE source_key IS NOT NULL;

-- Row-level security on the tenant tables (same policy text as 05).
ALTER TABLE public.ingest_quarantine ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.ingest_quarantine FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.ingest_quarantine;
CREATE POLICY tenant_isolation ON public.ingest_quarantine
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE public.projection_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projection_state FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.projection_state;
CREATE POLICY tenant_isolation ON public.projection_state
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Grants (explicit, whatever the default privileges say).
GRANT SELECT, INSERT, UPDATE, DELETE ON public.ingest_quarantine, public.projection_state TO glyph_app;
GRANT SELECT ON public.index_maintenance TO glyph_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.index_maintenance FROM glyph_app;
GRANT SELECT ON public.ingest_quarantine, public.projection_state, public.index_maintenance TO glyph_readonly;

-- Hard check: no tenant table without ENABLE + FORCE RLS and tenant_isolation (D22).
DO $verify$ BEGIN PERFORM public.assert_tenant_isolation(); END $verify$;
