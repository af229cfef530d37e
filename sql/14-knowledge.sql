-- 14-knowledge.sql: what the encoder found in each chunk text (entity and concept mentions with their vectors),
-- and per tenant the fingerprint of the chunk set the entity graph was last built from.
--
-- Same rules as 03/05/10/11/13: idempotent, stop-on-error safe; every tenant table ENABLE + FORCE RLS with
-- tenant_isolation; the file ends with the hard RLS check (D22).
--
-- Mentions are keyed by the chunk's content hash, like the embeddings' reuse: a text seen before (in any document
-- of the tenant, or in an earlier version of the same one) is never analysed again. `chunk_extractions` records that
-- a text was analysed by an extractor version even when nothing was found in it.

CREATE TABLE IF NOT EXISTS public.chunk_extractions (
    tenant_id     uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    extractor     text NOT NULL,
    content_hash  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chunk_extractions_pkey PRIMARY KEY (tenant_id, extractor, content_hash)
);

-- chunk_mentions: one row per (text, node key): key is the external key of the entity (entity:<slug>) or concept
-- (tag:<slug>, the same node as a folder or front-matter tag of that name) node the mention belongs to.
CREATE TABLE IF NOT EXISTS public.chunk_mentions (
    tenant_id     uuid NOT NULL,
    extractor     text NOT NULL,
    content_hash  text NOT NULL,
    key           text NOT NULL,
    kind          text NOT NULL CONSTRAINT chunk_mentions_kind_check CHECK (kind IN ('entity', 'concept')),
    type          text NOT NULL,
    surface       text NOT NULL,
    surfaces      text[] NOT NULL DEFAULT '{}',
    mentions      integer NOT NULL CONSTRAINT chunk_mentions_mentions_check CHECK (mentions > 0),
    score         real NOT NULL DEFAULT 0,
    vec           vector(384),
    CONSTRAINT chunk_mentions_pkey PRIMARY KEY (tenant_id, extractor, content_hash, key),
    CONSTRAINT chunk_mentions_extraction_fkey FOREIGN KEY (tenant_id, extractor, content_hash)
        REFERENCES public.chunk_extractions (tenant_id, extractor, content_hash) ON DELETE CASCADE
);

-- knowledge_state: the fingerprint (extractor, thresholds, live chunk texts) the tenant's entity graph was built
-- from; the stage does nothing while it matches, so a no-change re-run reads one row and writes nothing.
CREATE TABLE IF NOT EXISTS public.knowledge_state (
    tenant_id    uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
    fingerprint  text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE TRIGGER update_knowledge_state_updated_at
    BEFORE UPDATE ON public.knowledge_state
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

ALTER TABLE public.chunk_extractions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chunk_extractions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.chunk_extractions;
CREATE POLICY tenant_isolation ON public.chunk_extractions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE public.chunk_mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chunk_mentions FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.chunk_mentions;
CREATE POLICY tenant_isolation ON public.chunk_mentions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE public.knowledge_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.knowledge_state FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON public.knowledge_state;
CREATE POLICY tenant_isolation ON public.knowledge_state
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON public.chunk_extractions, public.chunk_mentions, public.knowledge_state
    TO glyph_app;
GRANT SELECT ON public.chunk_extractions, public.chunk_mentions, public.knowledge_state TO glyph_readonly;

-- Hard check: no tenant table without ENABLE + FORCE RLS and tenant_isolation (D22).
DO $verify$ BEGIN PERFORM public.assert_tenant_isolation(); END $verify$;
