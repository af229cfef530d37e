-- 05-security-hardening.sql: roles, tenant context, integrity/audit/history triggers, row-level security, grants.
--
-- Applies on top of 03-production-schema.sql (contract: ../shared/spec/schema-contract.md), without the
-- reference's defects D1-D24. Threat model: RLS guards against mistakes in our code and in other readers; the
-- app role serves every tenant and is trusted to choose one (D21). Privilege never derives from a session
-- setting (D11): cross-tenant access exists only for members of glyph_admin (the owner) and through the
-- SECURITY DEFINER functions below, each with a fixed search_path and EXECUTE granted by name (D8, D20).
-- Idempotent and stop-on-error safe (psql -v ON_ERROR_STOP=1 -f, or one transaction per file); the last
-- statement fails the file when any tenant table lacks ENABLE+FORCE RLS or its tenant_isolation policy (D22).

-- Roles: created if missing, never with passwords (the bootstrap sets those). glyph_admin is NOLOGIN (D9).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'glyph_app') THEN
        CREATE ROLE glyph_app LOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'glyph_readonly') THEN
        CREATE ROLE glyph_readonly LOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'glyph_admin') THEN
        CREATE ROLE glyph_admin NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$roles$;

-- The role running this file (the owner) joins glyph_admin: its policies let it provision tenants without a
-- tenant context and let the definer functions write audit rows (D3). Not possible without ADMIN on the role.
DO $membership$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'glyph_admin', 'USAGE') THEN
        EXECUTE format('GRANT glyph_admin TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING '% cannot be granted glyph_admin (%): tenant provisioning and audit writes need it', current_user, SQLERRM;
END
$membership$;

-- Tenant context. set_tenant_context is session-scoped (the spec's psql script runs statement by statement in
-- autocommit) and SECURITY INVOKER: it needs no rights (D8). The pipeline uses only the transaction-scoped
-- set_tenant_context_local inside explicit transactions; pooled connections are RESET on return (D2).
CREATE OR REPLACE FUNCTION public.set_tenant_context(tenant_uuid uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    PERFORM pg_catalog.set_config('app.tenant_id', coalesce(tenant_uuid::text, ''), false);
END
$fn$;

CREATE OR REPLACE FUNCTION public.set_tenant_context_local(tenant_uuid uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    PERFORM pg_catalog.set_config('app.tenant_id', coalesce(tenant_uuid::text, ''), true);
END
$fn$;

-- get_tenant_context: NULL when unset, empty or not a uuid (never an error).
CREATE OR REPLACE FUNCTION public.get_tenant_context()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY INVOKER
SET search_path = pg_catalog, public
AS $fn$
DECLARE
    raw text := pg_catalog.current_setting('app.tenant_id', true);
BEGIN
    IF raw ~* '^\s*[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\s*$' THEN
        RETURN raw::uuid;
    END IF;
    RETURN NULL;
END
$fn$;

-- tenant_directory: id, slug and status of every tenant, for the pipeline's tenant-discovery sensor. SECURITY
-- DEFINER reading through the owner's glyph_admin SELECT policy on tenants; exposes nothing else.
CREATE OR REPLACE FUNCTION public.tenant_directory()
RETURNS TABLE (id uuid, slug text, status public.tenant_status_enum)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
    SELECT t.id, t.slug, t.status FROM public.tenants AS t ORDER BY t.slug
$fn$;

-- Row images for audit and change events (shared helper): the SQL text of a query over a statement trigger's
-- transition tables returning (tenant_id, record_id, old_data, new_data), one row per changed row. Vectors and
-- key hashes are left out of the images (D12); an UPDATE row whose columns other than updated_at are all
-- unchanged is left out entirely.
CREATE OR REPLACE FUNCTION public.transition_image_expr(alias text, cols text[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, public
AS $fn$
    SELECT format('(SELECT to_jsonb(img) FROM (SELECT %s) AS img)',
                  (SELECT string_agg(format('%I.%I', alias, c), ', ') FROM unnest(cols) AS c))
$fn$;

CREATE OR REPLACE FUNCTION public.transition_record_expr(alias text, record_col text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, public
AS $fn$
    SELECT CASE WHEN nullif(record_col, '') IS NULL THEN 'NULL::uuid' ELSE format('%I.%I::uuid', alias, record_col) END
$fn$;

-- ignore_cols: columns whose change alone is no change (compared, like updated_at, but never imaged).
DROP FUNCTION IF EXISTS public.transition_images_sql(regclass, text, text);
CREATE OR REPLACE FUNCTION public.transition_images_sql(rel regclass, op text, record_col text DEFAULT NULL,
                                                        ignore_cols text[] DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, public
AS $fn$
DECLARE
    tenant_col text := CASE WHEN rel = 'public.tenants'::regclass THEN 'id' ELSE 'tenant_id' END;
    image_cols text[];
    compare_cols text[];
    key_cols text[];
BEGIN
    SELECT array_agg(a.attname::text ORDER BY a.attnum)
               FILTER (WHERE t.typname <> 'vector' AND a.attname <> 'hashed_key'),
           array_agg(a.attname::text ORDER BY a.attnum)
               FILTER (WHERE a.attname <> 'updated_at' AND a.attname <> ALL (ignore_cols))
      INTO image_cols, compare_cols
      FROM pg_catalog.pg_attribute AS a
      JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT array_agg(a.attname::text ORDER BY k.ord)
      INTO key_cols
      FROM pg_catalog.pg_index AS i
     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = rel AND i.indisprimary;
    IF key_cols IS NULL THEN
        RAISE EXCEPTION 'transition_images_sql: % has no primary key', rel;
    END IF;

    IF op = 'INSERT' THEN
        RETURN format('SELECT n.%1$I AS tenant_id, %2$s AS record_id, NULL::jsonb AS old_data, %3$s AS new_data '
                      'FROM new_rows AS n',
                      tenant_col, public.transition_record_expr('n', record_col),
                      public.transition_image_expr('n', image_cols));
    ELSIF op = 'DELETE' THEN
        RETURN format('SELECT o.%1$I AS tenant_id, %2$s AS record_id, %3$s AS old_data, NULL::jsonb AS new_data '
                      'FROM old_rows AS o',
                      tenant_col, public.transition_record_expr('o', record_col),
                      public.transition_image_expr('o', image_cols));
    ELSIF op = 'UPDATE' THEN
        RETURN format('SELECT coalesce(n.%1$I, o.%1$I) AS tenant_id, coalesce(%2$s, %3$s) AS record_id, '
                      'CASE WHEN o.%4$I IS NULL THEN NULL ELSE %5$s END AS old_data, '
                      'CASE WHEN n.%4$I IS NULL THEN NULL ELSE %6$s END AS new_data '
                      'FROM old_rows AS o FULL JOIN new_rows AS n ON %7$s '
                      'WHERE o.%4$I IS NULL OR n.%4$I IS NULL OR ROW(%8$s) IS DISTINCT FROM ROW(%9$s)',
                      tenant_col,
                      public.transition_record_expr('n', record_col), public.transition_record_expr('o', record_col),
                      key_cols[1],
                      public.transition_image_expr('o', image_cols), public.transition_image_expr('n', image_cols),
                      (SELECT string_agg(format('o.%1$I = n.%1$I', c), ' AND ') FROM unnest(key_cols) AS c),
                      (SELECT string_agg(format('o.%I', c), ', ') FROM unnest(compare_cols) AS c),
                      (SELECT string_agg(format('n.%I', c), ', ') FROM unnest(compare_cols) AS c));
    END IF;
    RAISE EXCEPTION 'transition_images_sql: unsupported operation %', op;
END
$fn$;

-- Cross-tenant integrity: the composite foreign keys of 03 already forbid links across tenants (D14); these
-- BEFORE triggers (contract names) only turn a violation into a clear message before the FK check runs.
CREATE OR REPLACE FUNCTION public.check_edge_tenant_consistency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.nodes_v2 AS n WHERE n.id = NEW.src_id AND n.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'edge endpoint % is not a node of tenant %', NEW.src_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.nodes_v2 AS n WHERE n.id = NEW.dst_id AND n.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'edge endpoint % is not a node of tenant %', NEW.dst_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION public.check_node_tag_tenant_consistency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.nodes_v2 AS n WHERE n.id = NEW.node_id AND n.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'node tag: % is not a node of tenant %', NEW.node_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tags_v2 AS t WHERE t.id = NEW.tag_id AND t.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'node tag: % is not a tag of tenant %', NEW.tag_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION public.check_tag_link_tenant_consistency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.tags_v2 AS t WHERE t.id = NEW.parent_id AND t.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'tag link parent % is not a tag of tenant %', NEW.parent_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.tags_v2 AS t WHERE t.id = NEW.child_id AND t.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'tag link child % is not a tag of tenant %', NEW.child_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION public.check_graph_coords_tenant_consistency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.nodes_v2 AS n WHERE n.id = NEW.node_id AND n.tenant_id = NEW.tenant_id) THEN
        RAISE EXCEPTION 'graph coords: % is not a node of tenant %', NEW.node_id, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

-- embeddings_v2 has no FK (obj_id is polymorphic), so this trigger is the integrity check: every obj_type we
-- use is accepted, the object must exist in the row's tenant, and dim must equal the vector's length (D15).
CREATE OR REPLACE FUNCTION public.check_embeddings_tenant_consistency()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
DECLARE
    found boolean;
BEGIN
    IF NEW.dim IS DISTINCT FROM vector_dims(NEW.vec) THEN
        RAISE EXCEPTION 'embedding dim % does not match its vector of % dimensions', NEW.dim, vector_dims(NEW.vec)
            USING ERRCODE = 'check_violation';
    END IF;
    CASE NEW.obj_type::text
        WHEN 'node', 'document', 'message' THEN
            found := EXISTS (SELECT 1 FROM public.nodes_v2 AS x WHERE x.id = NEW.obj_id AND x.tenant_id = NEW.tenant_id);
        WHEN 'chunk' THEN
            found := EXISTS (SELECT 1 FROM public.file_chunks AS x WHERE x.id = NEW.obj_id AND x.tenant_id = NEW.tenant_id);
        WHEN 'file' THEN
            found := EXISTS (SELECT 1 FROM public.files AS x WHERE x.id = NEW.obj_id AND x.tenant_id = NEW.tenant_id);
        WHEN 'tag' THEN
            found := EXISTS (SELECT 1 FROM public.tags_v2 AS x WHERE x.id = NEW.obj_id AND x.tenant_id = NEW.tenant_id);
        WHEN 'glyph' THEN
            found := EXISTS (SELECT 1 FROM public.glyphs_4d AS x WHERE x.id = NEW.obj_id AND x.tenant_id = NEW.tenant_id);
        ELSE
            RAISE EXCEPTION 'embeddings of obj_type % are not supported', NEW.obj_type
                USING ERRCODE = 'check_violation';
    END CASE;
    IF NOT found THEN
        RAISE EXCEPTION 'embedding object % is not a % of tenant %', NEW.obj_id, NEW.obj_type, NEW.tenant_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER enforce_edge_tenant_consistency
    BEFORE INSERT OR UPDATE OF tenant_id, src_id, dst_id ON public.edges_v2
    FOR EACH ROW EXECUTE FUNCTION public.check_edge_tenant_consistency();
CREATE OR REPLACE TRIGGER enforce_node_tag_tenant_consistency
    BEFORE INSERT OR UPDATE OF tenant_id, node_id, tag_id ON public.node_tags_v2
    FOR EACH ROW EXECUTE FUNCTION public.check_node_tag_tenant_consistency();
CREATE OR REPLACE TRIGGER enforce_tag_link_tenant_consistency
    BEFORE INSERT OR UPDATE OF tenant_id, parent_id, child_id ON public.tag_links_v2
    FOR EACH ROW EXECUTE FUNCTION public.check_tag_link_tenant_consistency();
CREATE OR REPLACE TRIGGER enforce_graph_coords_tenant_consistency
    BEFORE INSERT OR UPDATE OF tenant_id, node_id ON public.graph_coords_v2
    FOR EACH ROW EXECUTE FUNCTION public.check_graph_coords_tenant_consistency();
CREATE OR REPLACE TRIGGER enforce_embeddings_tenant_consistency
    BEFORE INSERT OR UPDATE OF tenant_id, obj_type, obj_id, dim, vec ON public.embeddings_v2
    FOR EACH ROW EXECUTE FUNCTION public.check_embeddings_tenant_consistency();

-- Embeddings leave with their object (D15): one set-based delete per statement deleting nodes, chunks, files,
-- tags or glyphs. The trigger arguments are the obj_type values that point at the table.
CREATE OR REPLACE FUNCTION public.purge_object_embeddings()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    DELETE FROM public.embeddings_v2 AS e
     USING old_rows AS o
     WHERE e.tenant_id = o.tenant_id
       AND e.obj_type = ANY (TG_ARGV::text[]::public.obj_type_enum[])
       AND e.obj_id = o.id;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER purge_nodes_v2_embeddings
    AFTER DELETE ON public.nodes_v2 REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.purge_object_embeddings('node', 'document', 'message');
CREATE OR REPLACE TRIGGER purge_file_chunks_embeddings
    AFTER DELETE ON public.file_chunks REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.purge_object_embeddings('chunk');
CREATE OR REPLACE TRIGGER purge_files_embeddings
    AFTER DELETE ON public.files REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.purge_object_embeddings('file');
CREATE OR REPLACE TRIGGER purge_tags_v2_embeddings
    AFTER DELETE ON public.tags_v2 REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.purge_object_embeddings('tag');
CREATE OR REPLACE TRIGGER purge_glyphs_4d_embeddings
    AFTER DELETE ON public.glyphs_4d REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.purge_object_embeddings('glyph');

-- Audit (D4, D12): one audit_log row per changed row of every tenant table, written set-based per statement by
-- a SECURITY DEFINER function (the app role may only read audit_log). actor = app.user_id, else app.actor, else
-- the session's login role. Rows of a tenant being deleted are skipped (the tenant's own row is logged with
-- tenant_id NULL), so tenant deletion works. TRUNCATE is logged too.
CREATE OR REPLACE FUNCTION public.audit_trigger_func()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
DECLARE
    actor text := coalesce(nullif(pg_catalog.current_setting('app.user_id', true), ''),
                           nullif(pg_catalog.current_setting('app.actor', true), ''),
                           session_user);
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
        'INSERT INTO public.audit_log (tenant_id, actor, table_name, action, record_id, old_data, new_data) '
        'SELECT CASE WHEN live.ok THEN c.tenant_id END, $1, $2, $3, c.record_id, c.old_data, c.new_data '
        '  FROM (%s) AS c '
        ' CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM public.tenants AS t WHERE t.id = c.tenant_id) AS ok) AS live '
        ' WHERE live.ok OR $4',
        public.transition_images_sql(TG_RELID, TG_OP, TG_ARGV[0]))
    USING actor, TG_TABLE_NAME::text, lower(TG_OP), TG_TABLE_NAME = 'tenants';
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION public.audit_truncate_func()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    INSERT INTO public.audit_log (tenant_id, actor, table_name, action)
    VALUES (NULL,
            coalesce(nullif(pg_catalog.current_setting('app.user_id', true), ''),
                     nullif(pg_catalog.current_setting('app.actor', true), ''),
                     session_user),
            TG_TABLE_NAME, 'truncate');
    RETURN NULL;
END
$fn$;

-- Audit triggers: audit_<table> (the contract's name) fires on INSERT; PostgreSQL allows transition tables
-- only on single-event triggers, so UPDATE, DELETE and TRUNCATE have sibling triggers. The argument names the
-- column recorded as record_id.
DO $audit$
DECLARE
    spec record;
BEGIN
    FOR spec IN
        SELECT * FROM (VALUES
            ('tenants', 'id'), ('api_keys', 'id'), ('users', 'id'), ('nodes_v2', 'id'), ('edges_v2', 'id'),
            ('tags_v2', 'id'), ('tag_links_v2', 'child_id'), ('node_tags_v2', 'node_id'), ('glyphs_4d', 'id'),
            ('graph_coords_v2', 'node_id'), ('embeddings_v2', 'obj_id'), ('files', 'id'), ('file_chunks', 'id'),
            ('user_preferences', 'id'), ('custom_instructions', 'id'), ('learned_profiles', 'id'),
            ('user_interactions', 'id'), ('search_history', 'id')
        ) AS s(table_name, record_col)
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON public.%I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_trigger_func(%L)',
                       'audit_' || spec.table_name, spec.table_name, spec.record_col);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON public.%I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_trigger_func(%L)',
                       'audit_' || spec.table_name || '_update', spec.table_name, spec.record_col);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON public.%I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_trigger_func(%L)',
                       'audit_' || spec.table_name || '_delete', spec.table_name, spec.record_col);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON public.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION public.audit_truncate_func()',
                       'audit_' || spec.table_name || '_truncate', spec.table_name);
    END LOOP;
END
$audit$;


-- History (D13): inserts open a version, updates of a tracked column close it and open the next, deletes close
-- it. Several updates of one row in one transaction fold into that transaction's version (no key clash).
-- SECURITY DEFINER: the app role may only read the history tables, which are under RLS like their sources.
CREATE OR REPLACE FUNCTION public.archive_node_history()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.nodes_history AS h (id, tenant_id, kind, name, summary, content, metadata, valid_from, valid_to)
        SELECT n.id, n.tenant_id, n.kind, n.name, n.summary, n.content, n.metadata, now(), 'infinity'
          FROM new_rows AS n
        ON CONFLICT (id, valid_from) DO UPDATE
           SET tenant_id = EXCLUDED.tenant_id, kind = EXCLUDED.kind, name = EXCLUDED.name,
               summary = EXCLUDED.summary, content = EXCLUDED.content, metadata = EXCLUDED.metadata,
               valid_to = 'infinity';
    ELSIF TG_OP = 'UPDATE' THEN
        WITH changed AS (
            SELECT n.*
              FROM new_rows AS n
              LEFT JOIN old_rows AS o ON o.id = n.id
             WHERE o.id IS NULL
                OR ROW(o.tenant_id, o.kind, o.name, o.summary, o.content, o.metadata)
                   IS DISTINCT FROM ROW(n.tenant_id, n.kind, n.name, n.summary, n.content, n.metadata)
        ), gone AS (
            SELECT o.id FROM old_rows AS o WHERE NOT EXISTS (SELECT 1 FROM new_rows AS n WHERE n.id = o.id)
        ), closed AS (
            UPDATE public.nodes_history AS h
               SET valid_to = now()
             WHERE h.valid_to = 'infinity'
               AND ((h.valid_from < now() AND h.id IN (SELECT c.id FROM changed AS c))
                    OR h.id IN (SELECT g.id FROM gone AS g))
        )
        INSERT INTO public.nodes_history AS h (id, tenant_id, kind, name, summary, content, metadata, valid_from, valid_to)
        SELECT c.id, c.tenant_id, c.kind, c.name, c.summary, c.content, c.metadata, now(), 'infinity'
          FROM changed AS c
        ON CONFLICT (id, valid_from) DO UPDATE
           SET tenant_id = EXCLUDED.tenant_id, kind = EXCLUDED.kind, name = EXCLUDED.name,
               summary = EXCLUDED.summary, content = EXCLUDED.content, metadata = EXCLUDED.metadata,
               valid_to = 'infinity';
    ELSE
        UPDATE public.nodes_history AS h
           SET valid_to = now()
          FROM old_rows AS o
         WHERE h.id = o.id AND h.valid_to = 'infinity';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION public.archive_edge_history()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.edges_history AS h
               (id, tenant_id, src_id, dst_id, edge_type, relation_name, weight, valid_from, valid_to)
        SELECT n.id, n.tenant_id, n.src_id, n.dst_id, n.edge_type, n.relation_name, n.weight, now(), 'infinity'
          FROM new_rows AS n
        ON CONFLICT (id, valid_from) DO UPDATE
           SET tenant_id = EXCLUDED.tenant_id, src_id = EXCLUDED.src_id, dst_id = EXCLUDED.dst_id,
               edge_type = EXCLUDED.edge_type, relation_name = EXCLUDED.relation_name, weight = EXCLUDED.weight,
               valid_to = 'infinity';
    ELSIF TG_OP = 'UPDATE' THEN
        WITH changed AS (
            SELECT n.*
              FROM new_rows AS n
              LEFT JOIN old_rows AS o ON o.id = n.id
             WHERE o.id IS NULL
                OR ROW(o.tenant_id, o.src_id, o.dst_id, o.edge_type, o.relation_name, o.weight)
                   IS DISTINCT FROM ROW(n.tenant_id, n.src_id, n.dst_id, n.edge_type, n.relation_name, n.weight)
        ), gone AS (
            SELECT o.id FROM old_rows AS o WHERE NOT EXISTS (SELECT 1 FROM new_rows AS n WHERE n.id = o.id)
        ), closed AS (
            UPDATE public.edges_history AS h
               SET valid_to = now()
             WHERE h.valid_to = 'infinity'
               AND ((h.valid_from < now() AND h.id IN (SELECT c.id FROM changed AS c))
                    OR h.id IN (SELECT g.id FROM gone AS g))
        )
        INSERT INTO public.edges_history AS h
               (id, tenant_id, src_id, dst_id, edge_type, relation_name, weight, valid_from, valid_to)
        SELECT c.id, c.tenant_id, c.src_id, c.dst_id, c.edge_type, c.relation_name, c.weight, now(), 'infinity'
          FROM changed AS c
        ON CONFLICT (id, valid_from) DO UPDATE
           SET tenant_id = EXCLUDED.tenant_id, src_id = EXCLUDED.src_id, dst_id = EXCLUDED.dst_id,
               edge_type = EXCLUDED.edge_type, relation_name = EXCLUDED.relation_name, weight = EXCLUDED.weight,
               valid_to = 'infinity';
    ELSE
        UPDATE public.edges_history AS h
           SET valid_to = now()
          FROM old_rows AS o
         WHERE h.id = o.id AND h.valid_to = 'infinity';
    END IF;
    RETURN NULL;
END
$fn$;

-- History triggers: archive_<table>_history (the contract's name) fires on UPDATE; siblings for INSERT, DELETE.
CREATE OR REPLACE TRIGGER archive_nodes_v2_history
    AFTER UPDATE ON public.nodes_v2 REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_node_history();
CREATE OR REPLACE TRIGGER archive_nodes_v2_history_insert
    AFTER INSERT ON public.nodes_v2 REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_node_history();
CREATE OR REPLACE TRIGGER archive_nodes_v2_history_delete
    AFTER DELETE ON public.nodes_v2 REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_node_history();
CREATE OR REPLACE TRIGGER archive_edges_v2_history
    AFTER UPDATE ON public.edges_v2 REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_edge_history();
CREATE OR REPLACE TRIGGER archive_edges_v2_history_insert
    AFTER INSERT ON public.edges_v2 REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_edge_history();
CREATE OR REPLACE TRIGGER archive_edges_v2_history_delete
    AFTER DELETE ON public.edges_v2 REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.archive_edge_history();

-- Row-level security: ENABLE + FORCE (the owner is bound too; only superusers/BYPASSRLS escape, D3) and one
-- tenant_isolation policy per table. An empty app.tenant_id means unset: no rows, no error (D7).
DO $rls$
DECLARE
    tbl text;
BEGIN
    -- tenants: a tenant sees only its own row
    ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
    ALTER TABLE public.tenants FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tenant_isolation ON public.tenants;
    CREATE POLICY tenant_isolation ON public.tenants
        USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

    -- tenant-scoped tables, history and audit included (D13)
    FOREACH tbl IN ARRAY ARRAY['api_keys', 'users', 'nodes_v2', 'edges_v2', 'tags_v2', 'tag_links_v2',
                               'node_tags_v2', 'glyphs_4d', 'graph_coords_v2', 'embeddings_v2', 'files',
                               'file_chunks', 'audit_log', 'nodes_history', 'edges_history'] LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON public.%I', tbl);
        EXECUTE format('CREATE POLICY tenant_isolation ON public.%I '
                       'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) '
                       'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', tbl);
    END LOOP;

    -- per-user tables: tenant matches and the row is the current user's (app.user_id = users.id as text,
    -- D19); app.user_role grants nothing (D11)
    FOREACH tbl IN ARRAY ARRAY['user_preferences', 'custom_instructions', 'learned_profiles',
                               'user_interactions', 'search_history'] LOOP
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON public.%I', tbl);
        EXECUTE format('CREATE POLICY tenant_isolation ON public.%I '
                       'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid '
                       '   AND user_id = NULLIF(current_setting(''app.user_id'', true), '''')::uuid) '
                       'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid '
                       '   AND user_id = NULLIF(current_setting(''app.user_id'', true), '''')::uuid)', tbl);
    END LOOP;
END
$rls$;

-- The privileged paths, all bound to membership in glyph_admin (never to a session setting, D11): the owner
-- provisions and lists tenants without a context (D3); the audit definer writes audit rows of any tenant (and
-- rows with tenant_id NULL); admin_full_access keeps the contract's policy name but only lets glyph_admin read.
DROP POLICY IF EXISTS tenant_admin_select ON public.tenants;
CREATE POLICY tenant_admin_select ON public.tenants FOR SELECT TO glyph_admin USING (true);
DROP POLICY IF EXISTS tenant_admin_insert ON public.tenants;
CREATE POLICY tenant_admin_insert ON public.tenants FOR INSERT TO glyph_admin WITH CHECK (true);
DROP POLICY IF EXISTS tenant_admin_update ON public.tenants;
CREATE POLICY tenant_admin_update ON public.tenants FOR UPDATE TO glyph_admin USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS admin_full_access ON public.audit_log;
CREATE POLICY admin_full_access ON public.audit_log FOR SELECT TO glyph_admin USING (true);
DROP POLICY IF EXISTS audit_admin_insert ON public.audit_log;
CREATE POLICY audit_admin_insert ON public.audit_log FOR INSERT TO glyph_admin WITH CHECK (true);

-- Table grants: the app role does DML on tenant data but only reads audit_log and the history tables (D12);
-- it reads and updates its own tenant row but neither creates nor deletes tenants. glyph_readonly reads.
GRANT USAGE ON SCHEMA public TO glyph_app, glyph_readonly;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON public.api_keys, public.users, public.nodes_v2, public.edges_v2, public.tags_v2, public.tag_links_v2,
       public.node_tags_v2, public.glyphs_4d, public.graph_coords_v2, public.embeddings_v2, public.files,
       public.file_chunks, public.user_preferences, public.custom_instructions, public.learned_profiles,
       public.user_interactions, public.search_history
    TO glyph_app;
GRANT SELECT, UPDATE ON public.tenants TO glyph_app;
REVOKE INSERT, DELETE, TRUNCATE ON public.tenants FROM glyph_app;
GRANT SELECT ON public.audit_log, public.nodes_history, public.edges_history TO glyph_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.audit_log, public.nodes_history, public.edges_history
    FROM glyph_app, glyph_readonly;
GRANT SELECT
    ON public.tenants, public.api_keys, public.users, public.nodes_v2, public.edges_v2, public.tags_v2,
       public.tag_links_v2, public.node_tags_v2, public.glyphs_4d, public.graph_coords_v2, public.embeddings_v2,
       public.audit_log, public.nodes_history, public.edges_history, public.files, public.file_chunks,
       public.user_preferences, public.custom_instructions, public.learned_profiles, public.user_interactions,
       public.search_history
    TO glyph_readonly;
GRANT USAGE ON SEQUENCE public.embeddings_v2_id_seq TO glyph_app;

-- Default privileges for tables and sequences the owner creates later (D20); later files narrow them where
-- needed. Functions: nobody but the owner may execute a new function until it is granted by name.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO glyph_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO glyph_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO glyph_app;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Function grants (D8, D20): EXECUTE revoked from PUBLIC on every function of ours, granted by name.
REVOKE EXECUTE ON FUNCTION
    public.set_tenant_context(uuid), public.set_tenant_context_local(uuid), public.get_tenant_context(),
    public.tenant_directory(), public.transition_images_sql(regclass, text, text, text[]),
    public.transition_image_expr(text, text[]), public.transition_record_expr(text, text),
    public.update_updated_at_column(), public.check_edge_tenant_consistency(),
    public.check_node_tag_tenant_consistency(), public.check_tag_link_tenant_consistency(),
    public.check_graph_coords_tenant_consistency(), public.check_embeddings_tenant_consistency(),
    public.purge_object_embeddings(), public.audit_trigger_func(), public.audit_truncate_func(),
    public.archive_node_history(), public.archive_edge_history()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    public.set_tenant_context(uuid), public.set_tenant_context_local(uuid), public.get_tenant_context(),
    public.tenant_directory()
    TO glyph_app, glyph_readonly;

-- Verification that fails hard (D22): every table of schema public with a tenant_id column (and tenants) has
-- ENABLE + FORCE RLS and a tenant_isolation policy, matched by oid; every SECURITY DEFINER function has a fixed
-- search_path and no PUBLIC EXECUTE. Later files call it again after adding their tables.
CREATE OR REPLACE FUNCTION public.assert_tenant_isolation()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $fn$
DECLARE
    problems text;
BEGIN
    SELECT string_agg(format('%s (rls %s, force %s, tenant_isolation %s)', c.oid::regclass, c.relrowsecurity,
                             c.relforcerowsecurity,
                             EXISTS (SELECT 1 FROM pg_catalog.pg_policy AS p
                                      WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')), '; ')
      INTO problems
      FROM pg_catalog.pg_class AS c
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public'
       AND c.relkind IN ('r', 'p')
       AND (c.relname = 'tenants'
            OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                        WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped))
       AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_policy AS p
                             WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'));
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'tenant isolation incomplete: %', problems;
    END IF;

    SELECT string_agg(p.oid::regprocedure::text, ', ')
      INTO problems
      FROM pg_catalog.pg_proc AS p
      JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'
       AND p.prosecdef
       AND (NOT coalesce(p.proconfig && ARRAY['search_path=pg_catalog, public'], false)
            OR pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE'));
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'SECURITY DEFINER functions without a fixed search_path or executable by PUBLIC: %', problems;
    END IF;
END
$fn$;
REVOKE EXECUTE ON FUNCTION public.assert_tenant_isolation() FROM PUBLIC;

DO $verify$ BEGIN PERFORM public.assert_tenant_isolation(); END $verify$;
