"""One test per applicable defect D1-D24 of the reference schema (../shared/spec/schema-contract.md, section 8),
each showing that our schema does not have it. Real database, real roles; fresh tenants per test.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Callable

import psycopg
import pytest
from psycopg import errors

ROOT = Path(__file__).resolve().parents[2]


def _all_sql(kit: Any) -> str:
    return "\n".join(p.read_text() for p in kit.schema_files())


def _scalar(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


# D1: node_tags_v2 exists; its dedupe rule is a unique expression index (missing dedupe_key counts as '').
def test_d1_node_tags_dedupe_index(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    ids, a = seeded_pair["ids_a"], seeded_pair["a"]
    with kit.in_tenant(db["app"], a) as conn:
        indexdef = _scalar(conn, "SELECT indexdef FROM pg_indexes WHERE indexname = 'node_tags_v2_unique_dedupe_idx'")
        assert "UNIQUE" in indexdef and "COALESCE(dedupe_key, ''::text)" in indexdef
        # seeded: (node, tag, source 'test', dedupe NULL); another source with a NULL dedupe key is a duplicate
        with pytest.raises(errors.UniqueViolation, match="node_tags_v2_unique_dedupe_idx"):
            with conn.transaction():
                conn.execute("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence) "
                             "VALUES (%s, %s, %s, 'other', 0.2)", (ids["node"], ids["tag"], a))
        conn.execute("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence, dedupe_key) "
                     "VALUES (%s, %s, %s, 'other', 0.2, 'k2')", (ids["node"], ids["tag"], a))
        with pytest.raises(errors.CheckViolation):
            with conn.transaction():
                conn.execute("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence, dedupe_key) "
                             "VALUES (%s, %s, %s, 'third', 1.5, 'k3')", (ids["node"], ids["tag"], a))


# D2: the pipeline's context is transaction-scoped; set_tenant_context (session) needs no definer rights.
def test_d2_transaction_scoped_context(seeded_pair: dict[str, Any], connect: Any) -> None:
    conn = connect("app")
    conn.execute("SELECT set_tenant_context_local(%s)", (seeded_pair["a"],))
    assert _scalar(conn, "SELECT get_tenant_context()::text") == seeded_pair["a"]
    conn.commit()
    assert _scalar(conn, "SELECT get_tenant_context()") is None
    assert _scalar(conn, "SELECT count(*) FROM nodes_v2") == 0
    owner = connect("owner", autocommit=True)
    secdef, config = owner.execute("SELECT prosecdef, proconfig FROM pg_proc "
                                   "WHERE oid = 'public.set_tenant_context(uuid)'::regprocedure").fetchone()
    assert secdef is False and config == ["search_path=pg_catalog, public"]
    # the session-scoped form keeps the spec's autocommit script working, statement by statement
    session = connect("app", autocommit=True)
    session.execute("SELECT set_tenant_context(%s)", (seeded_pair["a"],))
    assert _scalar(session, "SELECT count(*) FROM nodes_v2") > 0
    session.execute("RESET ALL")  # what the pool does when a connection comes back
    assert _scalar(session, "SELECT count(*) FROM nodes_v2") == 0


# D3: pipeline and app roles are neither superuser nor BYPASSRLS; tenant creation is the owner's glyph_admin path.
def test_d3_no_bypass_roles_and_one_provisioning_path(connect: Any,
                                                      make_tenant: Callable[[str], tuple[str, str]]) -> None:
    su = connect("superuser", autocommit=True)
    rows = su.execute("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN "
                      "('glyph_owner', 'glyph_app', 'glyph_readonly', 'glyph_admin')").fetchall()
    assert {r[0] for r in rows} == {"glyph_owner", "glyph_app", "glyph_readonly", "glyph_admin"}
    assert all(not r[1] and not r[2] for r in rows), rows
    tenant_id, _ = make_tenant("d3")  # the owner, without any tenant context
    app = connect("app", autocommit=True)
    app.execute("SELECT set_tenant_context(%s)", (str(uuid.uuid4()),))
    with pytest.raises(errors.InsufficientPrivilege):
        app.execute("INSERT INTO tenants (id, slug, name) VALUES (get_tenant_context(), 'd3-' || "
                    "gen_random_uuid(), 'x')")
    owner = connect("owner", autocommit=True)
    assert _scalar(owner, "SELECT count(*) FROM tenants WHERE id = %s", (tenant_id,)) == 1


# D4: the audit actor falls back to app.actor, then to the session's role; never a NOT NULL failure.
def test_d4_audit_actor_fallback(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    a = seeded_pair["a"]
    user_id = str(uuid.uuid4())
    with kit.in_tenant(db["app"], a) as conn:
        for setting, expected in ((None, "glyph_app"), (("app.actor", "pipeline-run-1"), "pipeline-run-1"),
                                  (("app.user_id", user_id), user_id), (("app.user_id", ""), "pipeline-run-1")):
            if setting:
                conn.execute("SELECT set_config(%s, %s, true)", setting)
            node = _scalar(conn, "INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'entity', 'd4') "
                                 "RETURNING id", (a,))
            actor = _scalar(conn, "SELECT actor FROM audit_log WHERE table_name = 'nodes_v2' AND record_id = "
                                  "%s", (node,))
            assert actor == expected


# D5: embeddings_v2.vec stays dimensionless and is indexed per dimension (typed expression, partial HNSW).
def test_d5_embeddings_vector_index(seeded_pair: dict[str, Any], db: dict[str, str], connect: Any, kit: Any) -> None:
    query = ("SELECT obj_id::text FROM embeddings_v2 WHERE dim = 384 "
             "ORDER BY vec::vector(384) <=> %s::vector(384) LIMIT 5")
    with kit.in_tenant(db["app"], seeded_pair["a"]) as conn:
        assert _scalar(conn, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                             "WHERE attrelid = 'embeddings_v2'::regclass AND attname = 'vec'") == "vector"
        defs = [r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'embeddings_v2' "
                                           "AND indexdef LIKE '%USING hnsw%'").fetchall()]
        assert any("(vec)::vector(384)" in d and "vector_cosine_ops" in d and "WHERE (dim = 384)" in d
                   for d in defs), defs
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = conn.execute(query, (kit.vec(384, 2),)).fetchall()
        assert seeded_pair["ids_a"]["chunk"] in {r[0] for r in rows}
    # the index serves the typed query (checked without RLS, whose tenant qualifier lets the planner prefer a
    # btree for small tenants; the superuser bypasses RLS)
    su = connect("superuser_here")
    su.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(r[0] for r in su.execute(
        "EXPLAIN " + query.replace("%s", "'" + kit.vec(384, 9) + "'")).fetchall())
    assert "embeddings_v2_vec384_hnsw_idx" in plan, plan
    su.rollback()


# D6: pgvector's real settings are hnsw.* (validated, per transaction); m/ef_construction are build options.
def test_d6_real_hnsw_settings(connect: Any, kit: Any) -> None:
    conn = connect("app")
    conn.execute("SELECT '[1,2]'::vector")  # loads the library, so hnsw.* are real (validated) settings
    conn.execute("SET LOCAL hnsw.ef_search = 64")
    assert _scalar(conn, "SHOW hnsw.ef_search") == "64"
    with pytest.raises(errors.InvalidParameterValue):
        conn.execute("SET LOCAL hnsw.ef_search = 'lots'")
    conn.rollback()
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    conn.rollback()
    code = re.sub(r"--[^\n]*", "", _all_sql(kit))  # comments may name the wrong setting to warn about it
    assert "vector.hnsw" not in code
    options = conn.execute("SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                           "WHERE am.amname = 'hnsw' AND c.relnamespace = 'public'::regnamespace").fetchall()
    assert options and all(o[1] and "m=16" in o[1] and "ef_construction=64" in o[1] for o in options), options


# D7: an empty app.tenant_id means unset: no rows, no invalid-uuid error.
def test_d7_empty_context_is_no_rows_not_an_error(seeded_pair: dict[str, Any], connect: Any, kit: Any) -> None:
    conn = connect("app", autocommit=True)
    conn.execute("SET app.tenant_id = ''")
    for table in kit.tenant_tables:
        assert _scalar(conn, f"SELECT count(*) FROM {table}") == 0
    assert _scalar(conn, "SELECT get_tenant_context()") is None
    conn.execute("SET app.tenant_id = 'not-a-uuid'")
    assert _scalar(conn, "SELECT get_tenant_context()") is None


# D8: definer functions only where needed, each with a fixed search_path and schema-qualified names; a caller's
# search_path cannot redirect them.
def test_d8_definer_functions_are_pinned(seeded_pair: dict[str, Any], connect: Any) -> None:
    owner = connect("owner", autocommit=True)
    rows = owner.execute("""
        SELECT p.oid::regprocedure::text, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')
          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef""").fetchall()
    names = {r[0].split("(")[0] for r in rows}
    assert {"tenant_directory", "audit_trigger_func", "archive_node_history", "emit_change_event"} <= names
    assert "set_tenant_context" not in names
    for name, config, public_exec in rows:
        assert config == ["search_path=pg_catalog, public"], name
        assert not public_exec, name
    # a temp table named like ours, first on the caller's search_path, does not fool the definer function
    app = connect("app", autocommit=True)
    app.execute("CREATE TEMP TABLE tenants (id uuid, slug text, status tenant_status_enum)")
    app.execute("INSERT INTO pg_temp.tenants VALUES (gen_random_uuid(), 'fake', 'active')")
    app.execute("SET search_path = pg_temp, public")
    slugs = {r[0] for r in app.execute("SELECT slug FROM tenant_directory()").fetchall()}
    assert "fake" not in slugs and "default" in slugs


# D9: no bootstrap function authorising on current_user; glyph_admin exists (NOLOGIN) and only the owner has it.
def test_d9_admin_role_exists_and_app_is_not_a_member(connect: Any) -> None:
    owner = connect("owner", autocommit=True)
    assert _scalar(owner, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'glyph_admin'") is False
    assert _scalar(owner, "SELECT pg_has_role('glyph_owner', 'glyph_admin', 'USAGE')") is True
    assert _scalar(owner, "SELECT pg_has_role('glyph_app', 'glyph_admin', 'MEMBER')") is False
    assert _scalar(owner, "SELECT pg_has_role('glyph_readonly', 'glyph_admin', 'MEMBER')") is False
    assert _scalar(owner, "SELECT count(*) FROM pg_proc WHERE proname = 'create_tenant_bootstrap'") == 0


# D10: no lookup that can hand out another tenant's id from a key prefix or an e-mail.
def test_d10_no_tenant_lookup_functions(connect: Any) -> None:
    owner = connect("owner", autocommit=True)
    assert _scalar(owner, "SELECT count(*) FROM pg_proc WHERE proname IN "
                          "('lookup_tenant_by_api_key', 'lookup_tenant_by_user_email')") == 0


# D11: app.user_role grants nothing: neither audit rows nor per-user rows of others become visible.
def test_d11_user_role_setting_grants_nothing(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    a, b = seeded_pair["a"], seeded_pair["b"]
    with kit.in_tenant(db["app"], a) as conn:
        conn.execute("SELECT set_config('app.user_role', 'admin', true)")
        assert _scalar(conn, "SELECT count(*) FROM audit_log WHERE tenant_id = %s", (b,)) == 0
        assert _scalar(conn, "SELECT count(*) FROM audit_log WHERE tenant_id IS DISTINCT FROM %s", (a,)) == 0
        assert _scalar(conn, "SELECT count(*) FROM user_preferences") == 0  # no app.user_id: not even own tenant's
        qual = _scalar(conn, "SELECT string_agg(coalesce(qual, '') || coalesce(with_check, ''), ' ') FROM pg_policies")
        assert "user_role" not in qual


# D12: every tenant table is audited (TRUNCATE too), vectors stay out of row images, the app role cannot alter
# the trail, and tenant deletion works with audited rows in place.
def test_d12_audit_coverage_and_tamper_resistance(seeded_pair: dict[str, Any], db: dict[str, str], connect: Any,
                                                  kit: Any) -> None:
    owner = connect("owner", autocommit=True)
    audited = {r[0] for r in owner.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal "
                                           "AND tgfoid = 'public.audit_trigger_func()'::regprocedure").fetchall()}
    truncates = {r[0] for r in owner.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal "
                                             "AND tgfoid = 'public.audit_truncate_func()'::regprocedure").fetchall()}
    data_tables = set(kit.tenant_tables) - {"audit_log", "nodes_history", "edges_history", "ingest_quarantine",
                                            "projection_state", "change_outbox"}
    assert data_tables <= audited and data_tables <= truncates, data_tables - audited
    with kit.in_tenant(db["app"], seeded_pair["a"]) as conn:
        image = _scalar(conn, "SELECT new_data FROM audit_log WHERE table_name = 'nodes_v2' AND record_id = %s",
                        (seeded_pair["ids_a"]["node"],))
        assert image["name"] == "doc" and not {"embedding_384", "embedding_768", "embedding_1536"} & set(image)
        key_image = _scalar(conn, "SELECT new_data FROM audit_log WHERE table_name = 'api_keys' LIMIT 1")
        assert "hashed_key" not in key_image
        for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                    "INSERT INTO audit_log (tenant_id, actor, table_name, action) VALUES "
                    "(get_tenant_context(), 'x', 'x', 'insert')"):
            with pytest.raises(errors.InsufficientPrivilege):
                with conn.transaction():
                    conn.execute(sql)
    # TRUNCATE leaves a trace (rolled back: it only proves the trigger writes)
    with psycopg.connect(db["owner"]) as conn:
        conn.execute("TRUNCATE search_history")
        assert _scalar(conn, "SELECT count(*) FROM audit_log WHERE table_name = 'search_history' "
                             "AND action = 'truncate' AND at = now()") == 1
        conn.rollback()
    # tenant deletion works and leaves no tenant rows anywhere; its own audit row survives with tenant_id NULL
    a = seeded_pair["a"]
    owner.execute("SELECT set_tenant_context(%s)", (a,))
    assert owner.execute("DELETE FROM tenants WHERE id = %s", (a,)).rowcount == 1
    for table in kit.tenant_tables:
        col = "id" if table == "tenants" else "tenant_id"
        assert _scalar(owner, f"SELECT count(*) FROM {table} WHERE {col} = %s", (a,)) == 0, table
    assert _scalar(owner, "SELECT count(*) FROM audit_log WHERE table_name = 'tenants' AND action = 'delete' "
                          "AND record_id = %s AND tenant_id IS NULL", (a,)) == 1
    owner.execute("RESET app.tenant_id")


# D13: history records inserts, updates and deletes, tolerates several updates per transaction, is under RLS,
# and leaves with its tenant.
def test_d13_history(seeded_pair: dict[str, Any], db: dict[str, str], connect: Any, kit: Any) -> None:
    a, b = seeded_pair["a"], seeded_pair["b"]
    owner = connect("owner", autocommit=True)
    for table in ("nodes_history", "edges_history"):
        assert owner.execute("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                             (table,)).fetchone()[0]
        assert _scalar(owner, "SELECT confdeltype FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass "
                              "AND confrelid = 'tenants'::regclass", (table,)) == "c"
    with kit.in_tenant(db["app"], a) as conn:
        node = _scalar(conn, "INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'entity', 'v1') RETURNING id",
                       (a,))
        conn.commit()
    with kit.in_tenant(db["app"], a) as conn:
        conn.execute("UPDATE nodes_v2 SET name = 'v2' WHERE id = %s", (node,))
        conn.execute("UPDATE nodes_v2 SET name = 'v3' WHERE id = %s", (node,))
        conn.execute("UPDATE nodes_v2 SET color = '#000000' WHERE id = %s", (node,))  # untracked column
        conn.commit()
    with kit.in_tenant(db["app"], a) as conn:
        conn.execute("DELETE FROM nodes_v2 WHERE id = %s", (node,))
        conn.commit()
    with kit.in_tenant(db["app"], a) as conn:
        versions = conn.execute("SELECT name, valid_to = 'infinity' FROM nodes_history WHERE id = %s "
                                "ORDER BY valid_from", (node,)).fetchall()
        assert versions == [("v1", False), ("v3", False)]
        edges = _scalar(conn, "SELECT count(*) FROM edges_history WHERE id = %s", (seeded_pair["ids_a"]["edge"],))
        assert edges == 1
    with kit.in_tenant(db["app"], b) as conn:
        assert _scalar(conn, "SELECT count(*) FROM nodes_history WHERE id = %s", (node,)) == 0
        assert _scalar(conn, "SELECT count(*) FROM nodes_history WHERE tenant_id = %s", (a,)) == 0


# D14: the database itself forbids links across tenants (composite keys), whoever writes and whatever RLS shows.
def test_d14_cross_tenant_links_rejected(seeded_pair: dict[str, Any], db: dict[str, str], connect: Any,
                                         kit: Any) -> None:
    a, ia, ib = seeded_pair["a"], seeded_pair["ids_a"], seeded_pair["ids_b"]
    attempts = [
        ("INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%(a)s, %(na)s, %(nb)s, 'relates_to')",
         f"edge endpoint {ib['node']} is not a node of tenant {a}"),
        ("INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, related_node_id) VALUES (%(a)s, 'custom', 0, 0, "
         "0, now(), %(nb)s)",
         "glyphs_4d_related_node_id_fkey"),
        ("INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, parent_id) VALUES (%(a)s, 'custom', 0, 0, 0, "
         "now(), %(gb)s)",
         "glyphs_4d_parent_id_fkey"),
        ("UPDATE files SET node_id = %(nb)s WHERE id = %(fa)s", "files_node_id_fkey"),
        ("INSERT INTO file_chunks (file_id, tenant_id, chunk_index, chunk_text) VALUES (%(fb)s, %(a)s, 9, 'x')",
         "file_chunks_file_id_fkey"),
        ("UPDATE file_chunks SET node_id = %(nb)s WHERE id = %(ca)s", "file_chunks_node_id_fkey"),
        ("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence) VALUES (%(na)s, %(tb)s, "
         "%(a)s, 'x', 1)",
         "is not a tag of tenant"),
        ("INSERT INTO tag_links_v2 (parent_id, child_id, tenant_id) VALUES (%(ta)s, %(tb)s, %(a)s)",
         "is not a tag of tenant"),
        ("INSERT INTO graph_coords_v2 (node_id, tenant_id) VALUES (%(nb)s, %(a)s)", "is not a node of tenant"),
        ("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) VALUES (%(a)s, 'node', "
         "%(nb)s, 'x', 1, '[1]')",
         "is not a node of tenant"),
        ("INSERT INTO user_preferences (user_id, tenant_id) VALUES (%(ub)s, %(a)s)", "user_preferences_user_id_fkey"),
        ("INSERT INTO user_interactions (user_id, tenant_id, interaction_type, node_id) VALUES (%(ua)s, %(a)s, "
         "'x', %(nb)s)",
         "user_interactions_node_id_fkey"),
        ("INSERT INTO user_interactions (user_id, tenant_id, interaction_type, file_id) VALUES (%(ua)s, %(a)s, "
         "'x', %(fb)s)",
         "user_interactions_file_id_fkey"),
    ]
    params = {"a": a, "na": ia["node"], "nb": ib["node"], "gb": ib["glyph"], "fa": ia["file"], "fb": ib["file"],
              "ca": ia["chunk"], "ta": ia["tag"], "tb": ib["tag"], "ua": ia["user"], "ub": ib["user"]}
    for role in ("app", "owner"):
        with kit.in_tenant(db[role], a) as conn:
            for sql, message in attempts:
                user = ib["user"] if "%(ub)s" in sql else ia["user"]
                conn.execute("SELECT set_config('app.user_id', %s, true)", (user,))
                with pytest.raises(errors.ForeignKeyViolation) as caught:
                    with conn.transaction():
                        conn.execute(sql, params)
                assert message in str(caught.value), (role, sql, str(caught.value))
    # every foreign key between tenant tables carries tenant_id on both sides
    owner = connect("owner", autocommit=True)
    loose = owner.execute("""
        SELECT c.conname FROM pg_constraint c
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND c.confrelid <> 'tenants'::regclass
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attname = 'tenant_id')
           AND NOT EXISTS (SELECT 1 FROM unnest(c.conkey, c.confkey) AS k(l, r)
                             JOIN pg_attribute la ON la.attrelid = c.conrelid AND la.attnum = k.l
                             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.r
                            WHERE la.attname = 'tenant_id' AND ra.attname = 'tenant_id')""").fetchall()
    assert not loose, loose


# D15: every obj_type we use is accepted, dim must match the vector, and embeddings leave with their object.
def test_d15_embeddings_integrity(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    a, ids = seeded_pair["a"], seeded_pair["ids_a"]
    with kit.in_tenant(db["app"], a) as conn:
        for obj_type, obj in (("document", ids["node"]), ("file", ids["file"]), ("tag", ids["tag"]),
                              ("glyph", ids["glyph"]), ("chunk", ids["chunk"])):
            conn.execute("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
                         "VALUES (%s, %s, %s, 'd15', 2, '[1,2]')", (a, obj_type, obj))
        with pytest.raises(errors.CheckViolation, match="does not match"):
            with conn.transaction():
                conn.execute("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
                             "VALUES (%s, 'node', %s, 'd15-bad', 384, '[1,2,3]')", (a, ids["node"]))
        with pytest.raises(errors.ForeignKeyViolation, match="is not a chunk of tenant"):
            with conn.transaction():
                conn.execute("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
                             "VALUES (%s, 'chunk', gen_random_uuid(), 'd15', 1, '[1]')", (a,))
        conn.execute("DELETE FROM file_chunks WHERE id = %s", (ids["chunk"],))
        assert _scalar(conn, "SELECT count(*) FROM embeddings_v2 WHERE obj_id = %s", (ids["chunk"],)) == 0
        conn.execute("DELETE FROM nodes_v2 WHERE id = %s", (ids["node"],))
        assert _scalar(conn, "SELECT count(*) FROM embeddings_v2 WHERE obj_id = %s", (ids["node"],)) == 0
        assert _scalar(conn, "SELECT count(*) FROM embeddings_v2 WHERE obj_id = %s", (ids["tag"],)) == 1


# D16: every foreign key whose delete action cascades or nulls is served by an index led by its columns.
def test_d16_cascading_foreign_keys_are_indexed(connect: Any) -> None:
    owner = connect("owner", autocommit=True)
    unindexed = owner.execute("""
        SELECT c.conrelid::regclass::text, c.conname
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND c.confdeltype IN ('c', 'n', 'd')
           AND NOT EXISTS (
               SELECT 1 FROM pg_index i
                WHERE i.indrelid = c.conrelid AND i.indisvalid
                  AND (-- the first key columns are exactly the FK's columns
                       (SELECT array_agg(x ORDER BY x) FROM unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) x)
                         = (SELECT array_agg(x ORDER BY x) FROM unnest(c.conkey) x)
                       -- or a unique index on a subset of them (e.g. graph_coords_v2's primary key)
                       OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                           AND i.indkey::int2[] <@ c.conkey)
                       -- or led by the FK's non-tenant column
                       OR (i.indkey::int2[])[0] = (SELECT k FROM unnest(c.conkey) k
                                                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k
                                                  WHERE a.attname <> 'tenant_id' LIMIT 1))
                  AND (i.indpred IS NULL
                       OR pg_get_expr(i.indpred, i.indrelid) ~ '^\\(\\w+ IS NOT NULL\\)$'))""").fetchall()
    assert not unindexed, unindexed


# D17: no duplicate indexes, no IVFFlat built on empty tables.
def test_d17_no_redundant_or_premature_indexes(connect: Any) -> None:
    owner = connect("owner", autocommit=True)
    assert _scalar(owner, "SELECT count(*) FROM pg_class WHERE relname IN ('tenants_slug_idx', "
                          "'tags_v2_tenant_slug_idx') "
                          "AND relnamespace = 'public'::regnamespace") == 0
    duplicates = owner.execute("""
        SELECT indrelid::regclass::text, array_agg(indexrelid::regclass::text)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = 'public'::regnamespace
         GROUP BY indrelid, indkey::text, indclass::text, pg_get_expr(indexprs, indrelid),
                  pg_get_expr(indpred, indrelid)
        HAVING count(*) > 1""").fetchall()
    assert not duplicates, duplicates
    assert _scalar(owner, "SELECT count(*) FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                          "WHERE am.amname = 'ivfflat' AND c.relnamespace = 'public'::regnamespace") == 0
    for name in ("learned_profiles_embedding_idx", "search_history_embedding_idx"):
        assert _scalar(owner, "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = %s",
                       (name,)) == "hnsw"


# D18: a small tenant's nearest neighbours are complete with pgvector's iterative scan when HNSW serves the query
# under RLS. Run in a scratch database, in a transaction that is rolled back: the btree indexes led by tenant_id
# (which the planner rightly prefers for a tenant this small) are dropped there so the HNSW plan is exercised.
def test_d18_iterative_scan_recall_for_a_small_tenant(applied_databases: dict[str, str], kit: Any) -> None:
    big, small = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(applied_databases["psql"]) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, 'big'), (%s, %s, 'small')",
                     (big, f"big-{big[:8]}", small, f"small-{small[:8]}"))
        for tenant, count, fn in ((big, 1500, "sin"), (small, 15, "cos")):
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
            conn.execute(f"INSERT INTO nodes_v2 (tenant_id, kind, embedding_384) SELECT %s, 'entity', "
                         f"(SELECT array_agg({fn}(g * 13.7 + d * 0.37)) FROM generate_series(1, 384) d)::vector(384) "
                         f"FROM generate_series(1, %s) g", (tenant, count))
        conn.execute("DROP INDEX nodes_v2_tenant_created_idx, nodes_v2_tenant_kind_created_idx")
        conn.execute("ALTER TABLE nodes_v2 DROP CONSTRAINT nodes_v2_tenant_id_external_key_key, "
                     "DROP CONSTRAINT nodes_v2_tenant_id_id_key CASCADE")
        conn.execute("ANALYZE nodes_v2")
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL hnsw.ef_search = 40")
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        query = "SELECT id FROM nodes_v2 ORDER BY embedding_384 <=> %s::vector(384) LIMIT 10"
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query, (kit.vec(384, 5),)).fetchall())
        assert "nodes_v2_emb384_hnsw_idx" in plan, plan
        assert len(conn.execute(query, (kit.vec(384, 5),)).fetchall()) == 10
        conn.rollback()


# D19: app.user_id is the user's UUID; per-user rows are visible to that user only.
def test_d19_per_user_rows_follow_the_user_uuid(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    a, ids = seeded_pair["a"], seeded_pair["ids_a"]
    with kit.in_tenant(db["owner"], a) as conn:
        other = _scalar(conn, "INSERT INTO users (tenant_id, email) VALUES (%s, %s) RETURNING id::text",
                        (a, f"o-{uuid.uuid4().hex[:6]}@example.com"))
        conn.commit()
    for user, expected in ((ids["user"], 1), (other, 0)):
        with kit.in_tenant(db["app"], a, user) as conn:
            for table in kit.per_user_tables:
                assert _scalar(conn, f"SELECT count(*) FROM {table}") == expected, (table, user)


# D20: later tables get our roles' grants by default; functions are executable only where granted by name.
def test_d20_default_privileges(connect: Any) -> None:
    conn = connect("owner")
    conn.execute("CREATE TABLE public.d20_probe (id int)")
    conn.execute("CREATE FUNCTION public.d20_probe_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    assert conn.execute("SELECT has_table_privilege('glyph_app', 'public.d20_probe', 'SELECT, INSERT, UPDATE, "
                        "DELETE'), "
                        "has_table_privilege('glyph_readonly', 'public.d20_probe', 'SELECT'), "
                        "has_table_privilege('glyph_readonly', 'public.d20_probe', 'INSERT'), "
                        "has_function_privilege('public', 'public.d20_probe_fn()', 'EXECUTE')").fetchone() \
        == (True, True, False, False)
    conn.rollback()
    app_exec = {r[0] for r in conn.execute(
        "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
        "AND has_function_privilege('glyph_app', p.oid, 'EXECUTE')").fetchall()}
    # among the functions our files define, glyph_app may execute exactly these (others' files grant theirs): the
    # tenant context, and definer functions that return counts only; never the prune (retention) functions
    assert app_exec & _ours() == {"set_tenant_context", "set_tenant_context_local", "get_tenant_context",
                                  "tenant_directory", "outbox_pending_by_tenant", "outbox_status", "tenant_metrics"}


def _ours() -> set[str]:
    text = "\n".join(p.read_text() for p in (ROOT / "sql").glob("[0-9]*.sql") if p.name[:2] in ("03", "05", "10", "11", "13"))
    return set(re.findall(r"CREATE OR REPLACE FUNCTION public\.(\w+)", text))


# D21: the tenant context is the only key and it moves no data: a row cannot be moved to another tenant.
def test_d21_context_cannot_move_rows(seeded_pair: dict[str, Any], db: dict[str, str], kit: Any) -> None:
    with kit.in_tenant(db["app"], seeded_pair["a"]) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE nodes_v2 SET tenant_id = %s WHERE id = %s",
                         (seeded_pair["b"], seeded_pair["ids_a"]["node2"]))


# D22: the verification fails hard and matches tables by oid, not by name.
def test_d22_verification_fails_hard(connect: Any) -> None:
    conn = connect("owner")
    conn.execute("SELECT assert_tenant_isolation()")
    conn.execute("CREATE TABLE public.d22_probe (tenant_id uuid)")
    with pytest.raises(errors.RaiseException, match="d22_probe"):
        with conn.transaction():
            conn.execute("SELECT assert_tenant_isolation()")
    conn.execute("ALTER TABLE public.d22_probe ENABLE ROW LEVEL SECURITY")
    conn.execute("CREATE POLICY tenant_isolation ON public.d22_probe USING (true)")
    with pytest.raises(errors.RaiseException, match=r"d22_probe \(rls t, force f,"):  # enabled but not forced
        with conn.transaction():
            conn.execute("SELECT assert_tenant_isolation()")
    conn.execute("ALTER TABLE public.d22_probe FORCE ROW LEVEL SECURITY")
    conn.execute("SELECT assert_tenant_isolation()")
    conn.rollback()
    for name in ("05-security-hardening.sql", "10-pipeline-state.sql", "11-change-outbox.sql"):
        last = [line for line in (ROOT / "sql" / name).read_text().splitlines() if line.strip()][-1]
        assert "PERFORM public.assert_tenant_isolation()" in last, name


# D23: applying the schema writes no data except the default tenant.
def test_d23_migrations_write_no_test_data(applied_databases: dict[str, str]) -> None:
    for dsn in applied_databases.values():
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT id::text, slug, name, status::text FROM tenants").fetchall() == \
                [("00000000-0000-0000-0000-000000000000", "default", "Default Tenant", "active")]
            tables = [r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
                "AND c.relname NOT IN ('tenants', 'schema_migrations')").fetchall()]
            conn.execute("SELECT set_tenant_context('00000000-0000-0000-0000-000000000000')")
            for table in tables:
                assert _scalar(conn, f"SELECT count(*) FROM {table}") == 0, table


# D24: stop-on-error, no unused extensions, updated_at maintained wherever it exists.
def test_d24_updated_at_everywhere(seeded_pair: dict[str, Any], db: dict[str, str], connect: Any, kit: Any) -> None:
    text = _all_sql(kit)
    assert set(re.findall(r"CREATE EXTENSION IF NOT EXISTS (\S+);", text)) == {"vector"}
    owner = connect("owner", autocommit=True)
    missing = owner.execute("""
        SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at'
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
                            AND t.tgfoid = 'public.update_updated_at_column()'::regprocedure)""").fetchall()
    assert not missing, missing
    a, ids = seeded_pair["a"], seeded_pair["ids_a"]
    with kit.in_tenant(db["app"], a, ids["user"]) as conn:
        before = {t: _scalar(conn, f"SELECT updated_at FROM {t} LIMIT 1")
                  for t in ("files", "user_preferences", "learned_profiles", "custom_instructions")}
        conn.execute("UPDATE files SET processing_status = 'completed'")
        conn.execute("UPDATE user_preferences SET theme = 'light'")
        conn.execute("UPDATE learned_profiles SET communication_style = 'terse'")
        conn.execute("UPDATE custom_instructions SET usage_count = 1")
        for table, old in before.items():
            assert _scalar(conn, f"SELECT updated_at FROM {table} LIMIT 1") > old, table
