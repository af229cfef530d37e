-- 03-production-schema.sql: the Glyph Foundry core schema (tables, enums, indexes, seed tenant).
--
-- Honours the public Glyph Foundry contract (docs: ../shared/spec/schema-contract.md): same table, column, enum
-- and index names, same or wider types, NOT NULL kept, every unique key usable as an ON CONFLICT target.
-- Our own SQL, without the reference's defects (D1-D24). Additions are marked "extra:".
-- Idempotent and stop-on-error safe: apply with `psql -v ON_ERROR_STOP=1 -f` any number of times, or inside one
-- transaction (`glyph db migrate`). No CREATE INDEX CONCURRENTLY, no psql meta-commands.
-- Security (roles, RLS, audit, history, consistency triggers) lives in 05-security-hardening.sql.

-- Extensions: only pgvector; gen_random_uuid() and sha256() are built in, pgcrypto/uuid-ossp are unused (D24).
CREATE EXTENSION IF NOT EXISTS vector;

-- Enums: created with every contract value (declaration order) plus our appended values at the end.
DO $enums$
DECLARE
    spec constant jsonb := $json${
        "node_kind_enum":         ["glyph", "message", "document", "entity", "concept", "event", "metric", "chunk"],
        "edge_type_enum":         ["relates_to", "derives_from", "influences", "contains", "references",
                                   "quantum_neural_link", "ml_neural_foundation", "ml_ai_convergence",
                                   "quantum_ai_evolution", "autonomous_learning", "temporal_correlation",
                                   "next", "similar_to", "tagged_with"],
        "tag_category_enum":      ["domain", "technology", "concept", "metric", "security", "performance", "business"],
        "glyph_type_enum":        ["cpu_usage", "memory_usage", "network_rx", "network_tx", "disk_read", "disk_write",
                                   "metric_system", "metric_application", "event", "alert", "visualization", "custom"],
        "tenant_status_enum":     ["active", "suspended", "trial", "enterprise"],
        "user_role_enum":         ["user", "admin", "service"],
        "obj_type_enum":          ["glyph", "message", "node", "tag", "document", "file", "chunk"],
        "file_type_enum":         ["image", "document", "video", "audio", "csv", "json", "text", "other"],
        "processing_status_enum": ["pending", "processing", "completed", "failed"]
    }$json$;
    enum_name text;
    enum_values jsonb;
BEGIN
    FOR enum_name, enum_values IN SELECT key, value FROM jsonb_each(spec) LOOP
        IF to_regtype('public.' || enum_name) IS NULL THEN
            EXECUTE format('CREATE TYPE public.%I AS ENUM (%s)', enum_name,
                           (SELECT string_agg(quote_literal(v.value), ', ' ORDER BY v.ord)
                              FROM jsonb_array_elements_text(enum_values) WITH ORDINALITY AS v(value, ord)));
        END IF;
    END LOOP;
END
$enums$;

-- Appended enum values for databases whose enums predate them (e.g. created by the reference scripts).
-- Nothing below uses them: a value added in this transaction may not be used before COMMIT.
ALTER TYPE public.node_kind_enum ADD VALUE IF NOT EXISTS 'chunk';
ALTER TYPE public.edge_type_enum ADD VALUE IF NOT EXISTS 'next';
ALTER TYPE public.edge_type_enum ADD VALUE IF NOT EXISTS 'similar_to';
ALTER TYPE public.edge_type_enum ADD VALUE IF NOT EXISTS 'tagged_with';
ALTER TYPE public.obj_type_enum ADD VALUE IF NOT EXISTS 'chunk';

-- tenants: one row per customer organisation; slug globally unique.
CREATE TABLE IF NOT EXISTS public.tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL CONSTRAINT tenants_slug_key UNIQUE,
    name        text NOT NULL,
    status      public.tenant_status_enum NOT NULL DEFAULT 'active',
    metadata    jsonb DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- tenants_slug_idx is not created: it would duplicate tenants_slug_key (D17).
CREATE INDEX IF NOT EXISTS tenants_status_idx ON public.tenants (status);

-- api_keys: per-tenant credentials; only a hash and a lookup prefix are stored.
CREATE TABLE IF NOT EXISTS public.api_keys (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    name          text NOT NULL,
    scopes        text[] NOT NULL DEFAULT '{}'::text[],
    hashed_key    text NOT NULL,
    prefix        text NOT NULL,
    last_used_at  timestamptz,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_tenant_id_name_key UNIQUE (tenant_id, name)
);
CREATE INDEX IF NOT EXISTS api_keys_tenant_idx ON public.api_keys (tenant_id);
CREATE INDEX IF NOT EXISTS api_keys_prefix_idx ON public.api_keys (prefix);
CREATE INDEX IF NOT EXISTS api_keys_expires_idx ON public.api_keys (expires_at) WHERE expires_at IS NOT NULL;

-- users: per-tenant accounts; (tenant_id, id) is the parent key of the per-user tables (D14).
CREATE TABLE IF NOT EXISTS public.users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    email       text NOT NULL,
    name        text,
    role        public.user_role_enum NOT NULL DEFAULT 'user',
    metadata    jsonb DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_tenant_id_email_key UNIQUE (tenant_id, email),
    CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS users_tenant_idx ON public.users (tenant_id);
CREATE INDEX IF NOT EXISTS users_email_idx ON public.users (email);

-- nodes_v2: knowledge-graph nodes. extra: external_key (idempotent upserts), content/source tracking, soft delete.
CREATE TABLE IF NOT EXISTS public.nodes_v2 (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id            uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    kind                 public.node_kind_enum NOT NULL,
    name                 text,
    summary              text,
    content              text,
    metadata             jsonb DEFAULT '{}'::jsonb,
    embedding_384        vector(384),
    embedding_768        vector(768),
    embedding_1536       vector(1536),
    pos_x                double precision,
    pos_y                double precision,
    pos_z                double precision,
    color                text DEFAULT '#4A90E2',
    size                 double precision DEFAULT 1.0,
    opacity              double precision DEFAULT 1.0,
    glow_intensity       double precision DEFAULT 0.5,
    importance_score     double precision DEFAULT 0.0,
    connection_strength  double precision DEFAULT 0.0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    external_key         text,          -- extra: doc:<key>, chunk:<key>#<i>, tag:<slug>
    content_hash         text,          -- extra: hash of the text the node was built from
    source_key           text,          -- extra: object key of the source document
    source_version       text,          -- extra: etag / version id of the source document
    deleted_at           timestamptz,   -- extra: soft delete (source object gone)
    embedding_model      text,          -- extra: <name>@<revision> of embedding_384
    CONSTRAINT nodes_v2_tenant_id_id_key UNIQUE (tenant_id, id),
    CONSTRAINT nodes_v2_tenant_id_external_key_key UNIQUE (tenant_id, external_key)
);
CREATE INDEX IF NOT EXISTS nodes_v2_tenant_created_idx ON public.nodes_v2 (tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS nodes_v2_tenant_kind_created_idx ON public.nodes_v2 (tenant_id, kind, created_at DESC);
CREATE INDEX IF NOT EXISTS nodes_v2_metadata_idx ON public.nodes_v2 USING gin (metadata);

-- edges_v2: directed typed edges; composite FKs make a cross-tenant edge impossible (D14), no self-loops.
CREATE TABLE IF NOT EXISTS public.edges_v2 (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id            uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    src_id               uuid NOT NULL,
    dst_id               uuid NOT NULL,
    edge_type            public.edge_type_enum NOT NULL,
    relation_name        text,
    weight               double precision DEFAULT 1.0,
    confidence           double precision DEFAULT 1.0,
    auto_generated       boolean DEFAULT false,
    learning_confidence  double precision DEFAULT 0.0,
    reinforcement_count  integer DEFAULT 0,
    last_reinforced      timestamptz,
    color                text DEFAULT '#888888',
    thickness            double precision DEFAULT 1.0,
    opacity              double precision DEFAULT 0.8,
    animation_speed      double precision DEFAULT 1.0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT edges_v2_check CHECK (src_id <> dst_id),
    CONSTRAINT edges_v2_src_id_fkey FOREIGN KEY (tenant_id, src_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT edges_v2_dst_id_fkey FOREIGN KEY (tenant_id, dst_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS edges_v2_unique_idx ON public.edges_v2 (tenant_id, src_id, dst_id, edge_type);
-- (tenant_id, src_id) and (tenant_id, dst_id) lead the two composite FKs, so node deletes cascade by index (D16).
CREATE INDEX IF NOT EXISTS edges_v2_tenant_src_idx ON public.edges_v2 (tenant_id, src_id)
    INCLUDE (edge_type, weight, confidence, created_at);
CREATE INDEX IF NOT EXISTS edges_v2_tenant_dst_idx ON public.edges_v2 (tenant_id, dst_id)
    INCLUDE (edge_type, weight, confidence, created_at);
CREATE INDEX IF NOT EXISTS edges_v2_tenant_created_idx ON public.edges_v2 (tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS edges_v2_type_idx ON public.edges_v2 (tenant_id, edge_type);
CREATE INDEX IF NOT EXISTS edges_v2_tenant_relation_idx ON public.edges_v2 (tenant_id, relation_name)
    WHERE relation_name IS NOT NULL;

-- tags_v2: tenant-scoped tags; (tenant_id, id) is the parent key of tag links and node tags (D14).
CREATE TABLE IF NOT EXISTS public.tags_v2 (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    slug         text NOT NULL,
    name         text NOT NULL,
    description  text,
    category     public.tag_category_enum,
    dim          integer,
    vec          vector(384),
    metadata     jsonb DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tags_v2_tenant_id_slug_key UNIQUE (tenant_id, slug),
    CONSTRAINT tags_v2_tenant_id_id_key UNIQUE (tenant_id, id)
);
-- tags_v2_tenant_slug_idx is not created: it would duplicate tags_v2_tenant_id_slug_key (D17).
CREATE INDEX IF NOT EXISTS tags_v2_category_idx ON public.tags_v2 (tenant_id, category);

-- tag_links_v2: parent -> child tag hierarchy, both tags of the row's tenant (composite FKs, D14).
CREATE TABLE IF NOT EXISTS public.tag_links_v2 (
    parent_id   uuid NOT NULL,
    child_id    uuid NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    kind        text NOT NULL DEFAULT 'is_a',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (parent_id, child_id, kind),
    CONSTRAINT tag_links_v2_parent_id_fkey FOREIGN KEY (tenant_id, parent_id)
        REFERENCES public.tags_v2 (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT tag_links_v2_child_id_fkey FOREIGN KEY (tenant_id, child_id)
        REFERENCES public.tags_v2 (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS tag_links_v2_tenant_parent_idx ON public.tag_links_v2 (tenant_id, parent_id);
CREATE INDEX IF NOT EXISTS tag_links_v2_tenant_child_idx ON public.tag_links_v2 (tenant_id, child_id);

-- node_tags_v2: tag assignments; the dedupe rule is a unique expression index, not a table constraint (D1).
CREATE TABLE IF NOT EXISTS public.node_tags_v2 (
    node_id     uuid NOT NULL,
    tag_id      uuid NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    source      text NOT NULL,
    confidence  double precision NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    dedupe_key  text,
    PRIMARY KEY (node_id, tag_id, source),
    CONSTRAINT node_tags_v2_confidence_check CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT node_tags_v2_node_id_fkey FOREIGN KEY (tenant_id, node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT node_tags_v2_tag_id_fkey FOREIGN KEY (tenant_id, tag_id)
        REFERENCES public.tags_v2 (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS node_tags_v2_unique_dedupe_idx
    ON public.node_tags_v2 (node_id, tag_id, (COALESCE(dedupe_key, '')));
CREATE INDEX IF NOT EXISTS node_tags_v2_tenant_node_idx ON public.node_tags_v2 (tenant_id, node_id);
CREATE INDEX IF NOT EXISTS node_tags_v2_tenant_tag_idx ON public.node_tags_v2 (tenant_id, tag_id);

-- glyphs_4d: points in space and time. extra: unique (tenant, node, type, t) for idempotent upserts.
-- Parent glyph and related node stay within the tenant (D14); deleting them nulls only the link column.
CREATE TABLE IF NOT EXISTS public.glyphs_4d (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    type             public.glyph_type_enum NOT NULL,
    x                double precision NOT NULL,
    y                double precision NOT NULL,
    z                double precision NOT NULL,
    t                timestamptz NOT NULL,
    metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
    parent_id        uuid,
    related_node_id  uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    CONSTRAINT glyphs_4d_tenant_id_id_key UNIQUE (tenant_id, id),
    CONSTRAINT glyphs_4d_tenant_node_type_t_key UNIQUE (tenant_id, related_node_id, type, t),
    CONSTRAINT glyphs_4d_parent_id_fkey FOREIGN KEY (tenant_id, parent_id)
        REFERENCES public.glyphs_4d (tenant_id, id) ON DELETE SET NULL (parent_id),
    CONSTRAINT glyphs_4d_related_node_id_fkey FOREIGN KEY (tenant_id, related_node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE SET NULL (related_node_id)
);
CREATE INDEX IF NOT EXISTS glyphs_4d_tenant_time_idx ON public.glyphs_4d (tenant_id, t DESC);
CREATE INDEX IF NOT EXISTS glyphs_4d_tenant_type_time_idx ON public.glyphs_4d (tenant_id, type, t DESC);
CREATE INDEX IF NOT EXISTS glyphs_4d_time_brin_idx ON public.glyphs_4d USING brin (t);
CREATE INDEX IF NOT EXISTS glyphs_4d_metadata_idx ON public.glyphs_4d USING gin (metadata);
-- Parent-glyph deletes find their children by index (D16); related_node_id is led by the unique key above.
CREATE INDEX IF NOT EXISTS glyphs_4d_parent_idx ON public.glyphs_4d (parent_id) WHERE parent_id IS NOT NULL;

-- graph_coords_v2: one layout position per node of the same tenant (composite FK, D14).
CREATE TABLE IF NOT EXISTS public.graph_coords_v2 (
    node_id     uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    layout      text NOT NULL DEFAULT 'auto',
    x           double precision,
    y           double precision,
    z           double precision,
    t           double precision,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT graph_coords_v2_node_id_fkey FOREIGN KEY (tenant_id, node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS graph_coords_v2_tenant_layout_idx ON public.graph_coords_v2 (tenant_id, layout);

-- embeddings_v2: vectors for any object; vec stays dimensionless, dim must equal its length (D15).
-- extra: content_hash, so an unchanged text is never encoded twice.
CREATE TABLE IF NOT EXISTS public.embeddings_v2 (
    id            bigserial PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    obj_type      public.obj_type_enum NOT NULL,
    obj_id        uuid NOT NULL,
    model         text NOT NULL,
    dim           integer NOT NULL CONSTRAINT embeddings_v2_dim_check CHECK (dim > 0),
    vec           vector NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    content_hash  text,
    CONSTRAINT embeddings_v2_dim_matches_vec_check CHECK (vector_dims(vec) = dim),
    CONSTRAINT embeddings_v2_tenant_id_obj_type_obj_id_model_key UNIQUE (tenant_id, obj_type, obj_id, model)
);
CREATE INDEX IF NOT EXISTS embeddings_v2_tenant_type_idx ON public.embeddings_v2 (tenant_id, obj_type);
CREATE INDEX IF NOT EXISTS embeddings_v2_model_idx ON public.embeddings_v2 (model);
CREATE INDEX IF NOT EXISTS embeddings_v2_tenant_model_hash_idx ON public.embeddings_v2 (tenant_id, model, content_hash);

-- audit_log: change log written only by the audit trigger (05); tenant_id NULL once the tenant is deleted (D12).
CREATE TABLE IF NOT EXISTS public.audit_log (
    id          bigserial PRIMARY KEY,
    tenant_id   uuid REFERENCES public.tenants (id) ON DELETE SET NULL,
    actor       text NOT NULL,
    table_name  text NOT NULL,
    action      text NOT NULL CONSTRAINT audit_log_action_check
                    CHECK (action IN ('insert', 'update', 'delete', 'truncate')),
    record_id   uuid,
    old_data    jsonb,
    new_data    jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_log_tenant_at_idx ON public.audit_log (tenant_id, at DESC);
CREATE INDEX IF NOT EXISTS audit_log_table_at_idx ON public.audit_log (table_name, at DESC);
CREATE INDEX IF NOT EXISTS audit_log_actor_idx ON public.audit_log (actor);

-- nodes_history / edges_history: versions written by the history triggers (05); removed with their tenant (D13).
CREATE TABLE IF NOT EXISTS public.nodes_history (
    id          uuid NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    kind        public.node_kind_enum NOT NULL,
    name        text,
    summary     text,
    content     text,
    metadata    jsonb,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz NOT NULL DEFAULT 'infinity',
    PRIMARY KEY (id, valid_from)
);
CREATE INDEX IF NOT EXISTS nodes_history_tenant_valid_idx ON public.nodes_history (tenant_id, valid_from DESC);

CREATE TABLE IF NOT EXISTS public.edges_history (
    id             uuid NOT NULL,
    tenant_id      uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    src_id         uuid NOT NULL,
    dst_id         uuid NOT NULL,
    edge_type      public.edge_type_enum NOT NULL,
    relation_name  text,
    weight         double precision,
    valid_from     timestamptz NOT NULL,
    valid_to       timestamptz NOT NULL DEFAULT 'infinity',
    PRIMARY KEY (id, valid_from)
);
CREATE INDEX IF NOT EXISTS edges_history_tenant_valid_idx ON public.edges_history (tenant_id, valid_from DESC);

-- files: one row per source object. extra: etag/version/content hash and the stage hashes of our pipeline.
CREATE TABLE IF NOT EXISTS public.files (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id          uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    filename           text NOT NULL,
    original_filename  text NOT NULL,
    file_type          public.file_type_enum NOT NULL,
    mime_type          text NOT NULL,
    size_bytes         bigint NOT NULL,
    storage_path       text NOT NULL,
    storage_url        text,
    thumbnail_path     text,
    processing_status  public.processing_status_enum NOT NULL DEFAULT 'pending',
    processing_error   text,
    extracted_text     text,
    structured_data    jsonb,
    node_id            uuid,
    metadata           jsonb DEFAULT '{}'::jsonb,
    uploaded_by        text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz,
    etag               text,   -- extra: S3 ETag of the version last read
    version_id         text,   -- extra: S3 version id, when the bucket is versioned
    content_hash       text,   -- extra: sha256 of the object bytes
    chunked_hash       text,   -- extra: content_hash the current chunks were made from
    graphed_hash       text,   -- extra: content_hash the current graph was built from
    CONSTRAINT files_tenant_id_id_key UNIQUE (tenant_id, id),
    CONSTRAINT files_tenant_id_storage_path_key UNIQUE (tenant_id, storage_path),
    CONSTRAINT files_node_id_fkey FOREIGN KEY (tenant_id, node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE SET NULL (node_id)
);
CREATE INDEX IF NOT EXISTS files_tenant_idx ON public.files (tenant_id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS files_type_idx ON public.files (file_type, tenant_id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS files_status_idx ON public.files (processing_status) WHERE processing_status <> 'completed';
CREATE INDEX IF NOT EXISTS files_created_idx ON public.files (tenant_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS files_node_idx ON public.files (node_id) WHERE node_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_extracted_text_idx ON public.files USING gin (to_tsvector('english', extracted_text))
    WHERE extracted_text IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS files_structured_data_idx ON public.files USING gin (structured_data)
    WHERE structured_data IS NOT NULL;

-- file_chunks: ordered chunks of a file of the same tenant. extra: content_hash, token_count, node_id.
CREATE TABLE IF NOT EXISTS public.file_chunks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    file_id         uuid NOT NULL,
    tenant_id       uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    chunk_index     integer NOT NULL,
    chunk_text      text NOT NULL,
    chunk_metadata  jsonb DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    content_hash    text,      -- extra: sha256 of chunk_text (embedding cache key)
    token_count     integer,   -- extra: model tokens in chunk_text
    node_id         uuid,      -- extra: the chunk's graph node
    CONSTRAINT file_chunks_file_id_chunk_index_key UNIQUE (file_id, chunk_index),
    CONSTRAINT file_chunks_file_id_fkey FOREIGN KEY (tenant_id, file_id)
        REFERENCES public.files (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT file_chunks_node_id_fkey FOREIGN KEY (tenant_id, node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE SET NULL (node_id)
);
CREATE INDEX IF NOT EXISTS file_chunks_file_idx ON public.file_chunks (file_id);
CREATE INDEX IF NOT EXISTS file_chunks_tenant_idx ON public.file_chunks (tenant_id);
CREATE INDEX IF NOT EXISTS file_chunks_node_idx ON public.file_chunks (node_id) WHERE node_id IS NOT NULL;

-- Per-user tables: user_id (and node/file links) must belong to the row's tenant (composite FKs, D14).
CREATE TABLE IF NOT EXISTS public.user_preferences (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid NOT NULL,
    tenant_id              uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    theme                  text DEFAULT 'dark',
    language               text DEFAULT 'en',
    timezone               text DEFAULT 'UTC',
    notifications_enabled  boolean DEFAULT true,
    dashboard_layout       jsonb DEFAULT '{}'::jsonb,
    default_view           text DEFAULT 'graph',
    items_per_page         integer DEFAULT 50,
    profile_visibility     text DEFAULT 'private',
    data_sharing_enabled   boolean DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_preferences_user_id_tenant_id_key UNIQUE (user_id, tenant_id),
    CONSTRAINT user_preferences_user_id_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS user_preferences_user_idx ON public.user_preferences (user_id);
CREATE INDEX IF NOT EXISTS user_preferences_tenant_idx ON public.user_preferences (tenant_id);

CREATE TABLE IF NOT EXISTS public.custom_instructions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL,
    tenant_id          uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    name               text NOT NULL,
    description        text,
    instruction_type   text NOT NULL,
    content            text NOT NULL,
    temperature        double precision DEFAULT 0.7,
    max_tokens         integer DEFAULT 2000,
    top_p              double precision DEFAULT 0.9,
    frequency_penalty  double precision DEFAULT 0.0,
    presence_penalty   double precision DEFAULT 0.0,
    is_active          boolean DEFAULT true,
    usage_count        integer DEFAULT 0,
    last_used_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT custom_instructions_user_id_tenant_id_name_key UNIQUE (user_id, tenant_id, name),
    CONSTRAINT custom_instructions_user_id_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS custom_instructions_user_idx ON public.custom_instructions (user_id);
CREATE INDEX IF NOT EXISTS custom_instructions_tenant_idx ON public.custom_instructions (tenant_id);
CREATE INDEX IF NOT EXISTS custom_instructions_active_idx ON public.custom_instructions (is_active)
    WHERE is_active = true;

CREATE TABLE IF NOT EXISTS public.learned_profiles (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid NOT NULL,
    tenant_id              uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    interests              text[] DEFAULT '{}'::text[],
    expertise_areas        text[] DEFAULT '{}'::text[],
    communication_style    text,
    preferred_topics       text[] DEFAULT '{}'::text[],
    activity_patterns      jsonb DEFAULT '{}'::jsonb,
    interaction_frequency  jsonb DEFAULT '{}'::jsonb,
    common_queries         text[] DEFAULT '{}'::text[],
    profile_embedding      vector(384),
    confidence_score       double precision DEFAULT 0.0,
    total_interactions     integer DEFAULT 0,
    last_interaction_at    timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT learned_profiles_user_id_tenant_id_key UNIQUE (user_id, tenant_id),
    CONSTRAINT learned_profiles_user_id_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS learned_profiles_user_idx ON public.learned_profiles (user_id);
CREATE INDEX IF NOT EXISTS learned_profiles_tenant_idx ON public.learned_profiles (tenant_id);

CREATE TABLE IF NOT EXISTS public.user_interactions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL,
    tenant_id         uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    interaction_type  text NOT NULL,
    content           text,
    context           jsonb DEFAULT '{}'::jsonb,
    sentiment         text,
    feedback_score    integer,
    node_id           uuid,
    file_id           uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_interactions_user_id_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES public.users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT user_interactions_node_id_fkey FOREIGN KEY (tenant_id, node_id)
        REFERENCES public.nodes_v2 (tenant_id, id) ON DELETE SET NULL (node_id),
    CONSTRAINT user_interactions_file_id_fkey FOREIGN KEY (tenant_id, file_id)
        REFERENCES public.files (tenant_id, id) ON DELETE SET NULL (file_id)
);
CREATE INDEX IF NOT EXISTS user_interactions_user_idx ON public.user_interactions (user_id);
CREATE INDEX IF NOT EXISTS user_interactions_tenant_idx ON public.user_interactions (tenant_id);
CREATE INDEX IF NOT EXISTS user_interactions_type_idx ON public.user_interactions (interaction_type);
CREATE INDEX IF NOT EXISTS user_interactions_created_idx ON public.user_interactions (created_at DESC);
-- Node and file deletes null these links by index instead of scanning the table (D16).
CREATE INDEX IF NOT EXISTS user_interactions_node_idx ON public.user_interactions (node_id) WHERE node_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS user_interactions_file_idx ON public.user_interactions (file_id) WHERE file_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS public.search_history (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL,
    tenant_id        uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    query            text NOT NULL,
    query_embedding  vector(384),
    results_count    integer,
    used_filters     jsonb DEFAULT '{}'::jsonb,
    clicked_results  uuid[],
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT search_history_user_id_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS search_history_user_idx ON public.search_history (user_id);
CREATE INDEX IF NOT EXISTS search_history_tenant_idx ON public.search_history (tenant_id);
CREATE INDEX IF NOT EXISTS search_history_created_idx ON public.search_history (created_at DESC);

-- Vector indexes: HNSW cosine with build options m/ef_construction (runtime knob: hnsw.ef_search, D6).
-- embeddings_v2.vec is dimensionless, so it is indexed per dimension on a typed expression, restricted to
-- rows of that dim (D5); queries use the same cast and filter. Without the hnsw access method we build
-- IVFFlat only on a table that already holds data (IVFFlat on an empty table has poor recall, D17), else none.
DO $vector_indexes$
DECLARE
    spec record;
    has_hnsw constant boolean := EXISTS (SELECT 1 FROM pg_catalog.pg_am WHERE amname = 'hnsw');
    has_ivfflat constant boolean := EXISTS (SELECT 1 FROM pg_catalog.pg_am WHERE amname = 'ivfflat');
    row_estimate bigint;
BEGIN
    FOR spec IN
        SELECT * FROM (VALUES
            ('nodes_v2_emb384_hnsw_idx',         'nodes_v2_emb384_ivf_idx',         'nodes_v2',         '(embedding_384 vector_cosine_ops)',                NULL),
            ('nodes_v2_emb768_hnsw_idx',         'nodes_v2_emb768_ivf_idx',         'nodes_v2',         '(embedding_768 vector_cosine_ops)',                NULL),
            ('nodes_v2_emb1536_hnsw_idx',        'nodes_v2_emb1536_ivf_idx',        'nodes_v2',         '(embedding_1536 vector_cosine_ops)',               NULL),
            ('tags_v2_vec_hnsw_idx',             'tags_v2_vec_ivf_idx',             'tags_v2',          '(vec vector_cosine_ops)',                          'vec IS NOT NULL'),
            ('embeddings_v2_vec384_hnsw_idx',    'embeddings_v2_vec384_ivf_idx',    'embeddings_v2',    '((vec::vector(384)) vector_cosine_ops)',           'dim = 384'),
            ('embeddings_v2_vec768_hnsw_idx',    'embeddings_v2_vec768_ivf_idx',    'embeddings_v2',    '((vec::vector(768)) vector_cosine_ops)',           'dim = 768'),
            ('embeddings_v2_vec1536_hnsw_idx',   'embeddings_v2_vec1536_ivf_idx',   'embeddings_v2',    '((vec::vector(1536)) vector_cosine_ops)',          'dim = 1536'),
            -- the contract names these two IVFFlat; they keep their names but are HNSW (D17)
            ('learned_profiles_embedding_idx',   'learned_profiles_embedding_ivf_idx', 'learned_profiles', '(profile_embedding vector_cosine_ops)',          NULL),
            ('search_history_embedding_idx',     'search_history_embedding_ivf_idx',   'search_history',   '(query_embedding vector_cosine_ops)',            NULL)
        ) AS s(hnsw_name, ivf_name, table_name, keys, predicate)
    LOOP
        IF has_hnsw THEN
            EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I USING hnsw %s WITH (m = 16, ef_construction = 64)%s',
                           spec.hnsw_name, spec.table_name, spec.keys,
                           coalesce(' WHERE ' || spec.predicate, ''));
        ELSIF has_ivfflat THEN
            SELECT greatest(c.reltuples, 0)::bigint INTO row_estimate
              FROM pg_catalog.pg_class c WHERE c.oid = ('public.' || spec.table_name)::regclass;
            IF row_estimate >= 10000 THEN
                EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I USING ivfflat %s WITH (lists = %s)%s',
                               spec.ivf_name, spec.table_name, spec.keys,
                               greatest(10, (row_estimate / 1000)::int),
                               coalesce(' WHERE ' || spec.predicate, ''));
            ELSE
                RAISE NOTICE 'no hnsw access method and only % rows in %: % not built (rerun after loading data)',
                             row_estimate, spec.table_name, spec.ivf_name;
            END IF;
        ELSE
            RAISE NOTICE 'pgvector offers neither hnsw nor ivfflat: % not built', spec.hnsw_name;
        END IF;
    END LOOP;
END
$vector_indexes$;

-- updated_at maintenance: every table with an updated_at column gets the trigger (the reference covered five, D24).
CREATE OR REPLACE FUNCTION public.update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION public.update_updated_at_column() FROM PUBLIC;

DO $updated_at$
DECLARE
    tbl text;
BEGIN
    FOR tbl IN
        SELECT c.relname
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at' AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND c.relname IN ('tenants', 'users', 'nodes_v2', 'edges_v2', 'tags_v2', 'graph_coords_v2', 'files',
                             'user_preferences', 'custom_instructions', 'learned_profiles')
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE UPDATE ON public.%I '
                       'FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column()',
                       'update_' || tbl || '_updated_at', tbl);
    END LOOP;
END
$updated_at$;

-- Seed: the default tenant. On a re-run (RLS on since 05) the owner inserts it through its glyph_admin policy;
-- a role without that path gets a notice instead of an error.
DO $seed$
BEGIN
    INSERT INTO public.tenants (id, slug, name, status)
    VALUES ('00000000-0000-0000-0000-000000000000', 'default', 'Default Tenant', 'active')
    ON CONFLICT DO NOTHING;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'default tenant not seeded by %: %', current_user, SQLERRM;
END
$seed$;
