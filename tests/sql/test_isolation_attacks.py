"""Isolation attacks: glyph_app (and glyph_readonly) in tenant A's context try to read or write tenant B.

Threat model (contract D21): glyph_app serves every tenant and is trusted to *choose* a tenant; what must hold is
that each statement sees only the tenant of its context, that a pooled connection never carries a context into
the next piece of work, and that no trick (RESET, views, COPY, roles, DDL on policies, definer functions, temp
objects shadowing names, leaky functions, prepared plans, FK/ON CONFLICT side doors, audit/history/outbox tables,
ctid/sequence guessing) reads or writes a single row of B. Every attack asserts its exact outcome: a row count of 0
or a specific SQLSTATE. Attack statements run inside a transaction that is rolled back; the last test checks
that B's rows are byte-for-byte what they were before the attacks.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

pytestmark = [pytest.mark.services]

TENANT_TABLES = ["nodes_v2", "edges_v2", "tags_v2", "tag_links_v2", "node_tags_v2", "glyphs_4d", "graph_coords_v2",
                 "embeddings_v2", "files", "file_chunks", "audit_log", "nodes_history", "edges_history", "users",
                 "api_keys", "user_preferences", "change_outbox", "ingest_quarantine", "projection_state"]


@dataclass
class World:
    a: str
    b: str
    a_slug: str
    b_slug: str
    a_node: str
    a_node2: str
    a_tag: str
    b_node: str
    b_node2: str
    b_edge: str
    b_tag: str
    b_file: str
    b_chunk: str
    b_glyph: str
    b_user: str
    b_emb_id: int
    b_node_ctid: str
    b_secret: str
    b_fingerprint: str


def app_dsn() -> str:
    return os.environ["GLYPH_APP_DATABASE_URL"]


def _populate(conn: psycopg.Connection[Any], tenant: str, secret: str) -> dict[str, Any]:
    """A small graph with every kind of tenant row, written as glyph_app in the tenant's context."""
    out: dict[str, Any] = {}
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.actor', 'attack-setup', true)",
                     (tenant,))
        n1, n2 = (r[0] for r in conn.execute(
            "INSERT INTO nodes_v2 (tenant_id, kind, name, content, external_key, content_hash, source_key) VALUES "
            "(%(t)s, 'document', %(s)s, %(s)s || ' body', 'doc:shared-key', 'h1', 'k/one'), "
            "(%(t)s, 'concept', %(s)s || ' two', 'x', 'tag:two', 'h2', 'k/two') RETURNING id",
            {"t": tenant, "s": secret}).fetchall())
        out["node"], out["node2"] = str(n1), str(n2)
        out["edge"] = str(conn.execute(
            "INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type, relation_name) "
            "VALUES (%s, %s, %s, 'relates_to', %s) RETURNING id", (tenant, n1, n2, secret)).fetchone()[0])
        out["tag"] = str(conn.execute(
            "INSERT INTO tags_v2 (tenant_id, slug, name) VALUES (%s, 'topic', %s) RETURNING id",
            (tenant, secret)).fetchone()[0])
        tag2 = conn.execute("INSERT INTO tags_v2 (tenant_id, slug, name) VALUES (%s, 'sub', 'sub') RETURNING id",
                            (tenant,)).fetchone()[0]
        conn.execute("INSERT INTO tag_links_v2 (parent_id, child_id, tenant_id) VALUES (%s, %s, %s)",
                     (out["tag"], tag2, tenant))
        conn.execute("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence) "
                     "VALUES (%s, %s, %s, 'test', 1.0)", (n1, out["tag"], tenant))
        out["file"] = str(conn.execute(
            "INSERT INTO files (tenant_id, filename, original_filename, file_type, mime_type, size_bytes, storage_path,"
            " extracted_text) VALUES (%s, 'f.txt', 'f.txt', 'text', 'text/plain', 10, 'k/one', %s) RETURNING id",
            (tenant, secret)).fetchone()[0])
        out["chunk"] = str(conn.execute(
            "INSERT INTO file_chunks (file_id, tenant_id, chunk_index, chunk_text, node_id) "
            "VALUES (%s, %s, 0, %s, %s) RETURNING id", (out["file"], tenant, secret, n1)).fetchone()[0])
        out["emb"] = int(conn.execute(
            "INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
            "VALUES (%s, 'node', %s, 'attack-model', 3, '[1,2,3]') RETURNING id", (tenant, n1)).fetchone()[0])
        out["glyph"] = str(conn.execute(
            "INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, related_node_id, metadata) "
            "VALUES (%s, 'visualization', 1, 2, 3, now(), %s, jsonb_build_object('s', %s::text)) RETURNING id",
            (tenant, n1, secret)).fetchone()[0])
        conn.execute("INSERT INTO graph_coords_v2 (node_id, tenant_id, x, y, z) VALUES (%s, %s, 1, 2, 3)",
                     (n1, tenant))
        out["user"] = str(conn.execute(
            "INSERT INTO users (tenant_id, email, name) VALUES (%s, %s, %s) RETURNING id",
            (tenant, f"{secret}@example.com", secret)).fetchone()[0])
        conn.execute("SELECT set_config('app.user_id', %s, true)", (out["user"],))
        conn.execute("INSERT INTO user_preferences (user_id, tenant_id, theme) VALUES (%s, %s, %s)",
                     (out["user"], tenant, secret[:20]))
        conn.execute("INSERT INTO ingest_quarantine (tenant_id, object_key, reason_code, reason) "
                     "VALUES (%s, 'k/bad', 'binary', %s)", (tenant, secret))
        conn.execute("UPDATE nodes_v2 SET summary = %s WHERE id = %s", (secret, n1))  # history + outbox 'u'
        out["ctid"] = str(conn.execute("SELECT ctid::text FROM nodes_v2 WHERE id = %s", (n1,)).fetchone()[0])
    return out


def fingerprint(tenant: str) -> str:
    """Hash of every row of every tenant table, as the tenant itself sees them."""
    h = hashlib.sha256()
    with psycopg.connect(app_dsn()) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        for table in TENANT_TABLES:
            if table == "user_preferences":
                continue  # per-user: needs app.user_id too (checked separately)
            for (row,) in sorted(conn.execute(f"SELECT _r::text FROM {table} AS _r").fetchall()):
                h.update(table.encode() + row.encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def world(env: dict[str, str], migrated: None) -> Iterator[World]:
    ids = {k: str(uuid.uuid4()) for k in ("a", "b")}
    slugs = {k: f"iso-{k}-{ids[k][:8]}" for k in ids}
    secret = f"B-SECRET-{uuid.uuid4().hex[:10]}"
    with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as owner:
        for k in ("a", "b"):
            owner.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, %s)", (ids[k], slugs[k], k.upper()))
    try:
        with psycopg.connect(app_dsn()) as conn:
            a = _populate(conn, ids["a"], f"A-PUBLIC-{uuid.uuid4().hex[:6]}")
            b = _populate(conn, ids["b"], secret)
        yield World(ids["a"], ids["b"], slugs["a"], slugs["b"], a["node"], a["node2"], a["tag"], b["node"],
                    b["node2"], b["edge"], b["tag"], b["file"], b["chunk"], b["glyph"], b["user"], b["emb"],
                    b["ctid"], secret, fingerprint(ids["b"]))
    finally:
        with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as owner:
            for k in ("a", "b"):
                owner.execute("SELECT set_config('app.tenant_id', %s, false)", (ids[k],))
                owner.execute("DELETE FROM tenants WHERE id = %s", (ids[k],))


# ------------------------------------------------------------------------------------------------ helpers


@contextmanager
def as_tenant(w: World, dsn: str | None = None, tenant: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """An app connection in one transaction scoped to A (or `tenant`), always rolled back."""
    with psycopg.connect(dsn or app_dsn()) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.notices = notices  # type: ignore[attr-defined]
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant or w.a,))
            yield conn


def count(conn: psycopg.Connection[Any], sql: str, params: Any = ()) -> int:
    return int(conn.execute(sql, params).fetchone()[0])  # type: ignore[index]


def denied(conn: psycopg.Connection[Any], sql: str, params: Any = (), sqlstates: tuple[str, ...] = ("42501",)) -> str:
    """The statement must fail with one of `sqlstates`; runs in a savepoint so the transaction goes on."""
    try:
        with conn.transaction():
            conn.execute(sql, params)
    except psycopg.Error as exc:
        assert exc.sqlstate in sqlstates, f"{sql!r} failed with {exc.sqlstate} {exc}, wanted {sqlstates}"
        return str(exc)
    raise AssertionError(f"{sql!r} succeeded; it must fail with {sqlstates}")


def rowcount(conn: psycopg.Connection[Any], sql: str, params: Any = ()) -> int:
    with conn.transaction():
        return conn.execute(sql, params).rowcount


ATTACKS: dict[str, Callable[[World], None]] = {}


def attack(fn: Callable[[World], None]) -> Callable[[World], None]:
    ATTACKS[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------------------------------------ direct reads


@attack
def select_b_rows_by_tenant_id(w: World) -> None:
    with as_tenant(w) as c:
        for table in TENANT_TABLES:
            assert count(c, f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (w.b,)) == 0, table


@attack
def select_b_rows_by_primary_key(w: World) -> None:
    with as_tenant(w) as c:
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE id IN (%s, %s)", (w.b_node, w.b_node2)) == 0
        assert count(c, "SELECT count(*) FROM edges_v2 WHERE id = %s", (w.b_edge,)) == 0
        assert count(c, "SELECT count(*) FROM files WHERE id = %s", (w.b_file,)) == 0
        assert count(c, "SELECT count(*) FROM file_chunks WHERE id = %s OR file_id = %s", (w.b_chunk, w.b_file)) == 0
        assert count(c, "SELECT count(*) FROM glyphs_4d WHERE id = %s", (w.b_glyph,)) == 0
        assert count(c, "SELECT count(*) FROM tags_v2 WHERE id = %s", (w.b_tag,)) == 0
        assert count(c, "SELECT count(*) FROM users WHERE id = %s", (w.b_user,)) == 0
        assert count(c, "SELECT count(*) FROM tenants WHERE id = %s", (w.b,)) == 0


@attack
def full_scan_sees_only_own_tenant(w: World) -> None:
    with as_tenant(w) as c:
        for table in TENANT_TABLES:
            if table == "user_preferences":
                continue
            others = count(c, f"SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM %s", (w.a,))
            assert others == 0, table
        assert count(c, "SELECT count(*) FROM tenants") == 1


@attack
def search_b_secret_text_everywhere(w: World) -> None:
    with as_tenant(w) as c:
        for table in TENANT_TABLES + ["tenants"]:
            hits = count(c, f"SELECT count(*) FROM {table} AS _r WHERE _r::text LIKE %s", (f"%{w.b_secret}%",))
            assert hits == 0, table


@attack
def join_through_edges_to_b(w: World) -> None:
    with as_tenant(w) as c:
        assert count(c, """SELECT count(*) FROM edges_v2 e JOIN nodes_v2 s ON s.id = e.src_id
                           JOIN nodes_v2 d ON d.id = e.dst_id WHERE s.tenant_id = %s OR d.tenant_id = %s""",
                     (w.b, w.b)) == 0
        assert count(c, "SELECT count(*) FROM edges_v2 WHERE src_id = %s OR dst_id = %s", (w.b_node, w.b_node)) == 0
        assert count(c, """WITH RECURSIVE walk(id) AS (SELECT %s::uuid UNION SELECT e.dst_id FROM edges_v2 e
                           JOIN walk ON e.src_id = walk.id) SELECT count(*) - 1 FROM walk""", (w.b_node,)) == 0


@attack
def explain_analyze_counts_zero_b_rows(w: World) -> None:
    with as_tenant(w) as c:
        plan = c.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM nodes_v2 WHERE tenant_id = %s",
                         (w.b,)).fetchone()[0]
        assert plan[0]["Plan"]["Actual Rows"] == 0


@attack
def audit_history_and_outbox_of_b(w: World) -> None:
    with as_tenant(w) as c:
        assert count(c, "SELECT count(*) FROM audit_log WHERE tenant_id = %s OR record_id = %s", (w.b, w.b_node)) == 0
        assert count(c, "SELECT count(*) FROM nodes_history WHERE id = %s", (w.b_node,)) == 0
        assert count(c, "SELECT count(*) FROM edges_history WHERE id = %s", (w.b_edge,)) == 0
        assert count(c, "SELECT count(*) FROM change_outbox WHERE entity_id IN (%s, %s)", (w.b_node, w.b_edge)) == 0
        # and A has its own trail, so the empty answer is not an accident
        assert count(c, "SELECT count(*) FROM audit_log WHERE record_id = %s", (w.a_node,)) >= 1
        assert count(c, "SELECT count(*) FROM change_outbox WHERE entity_id = %s", (w.a_node,)) >= 1


@attack
def admin_role_setting_grants_nothing(w: World) -> None:
    """D11: app.user_role = 'admin' is an ordinary setting and must not widen audit_log or per-user tables."""
    with as_tenant(w) as c:
        c.execute("SELECT set_config('app.user_role', 'admin', true)")
        assert count(c, "SELECT count(*) FROM audit_log WHERE tenant_id IS DISTINCT FROM %s", (w.a,)) == 0
        assert count(c, "SELECT count(*) FROM user_preferences") == 0  # no app.user_id: no per-user rows at all
        c.execute("SELECT set_config('app.user_id', %s, true)", (w.b_user,))
        assert count(c, "SELECT count(*) FROM user_preferences") == 0  # B's user id in A's tenant: nothing


@attack
def ctid_guessing(w: World) -> None:
    with as_tenant(w) as c:
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE ctid = %s::tid AND tenant_id <> %s",
                     (w.b_node_ctid, w.a)) == 0
        page = w.b_node_ctid.strip("()").split(",")[0]
        tids = [f"({page},{i})" for i in range(1, 200)]
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE ctid = ANY(%s::tid[]) AND tenant_id = %s", (tids, w.b)) == 0


@attack
def sequence_id_guessing(w: World) -> None:
    with as_tenant(w) as c:
        near = list(range(w.b_emb_id - 50, w.b_emb_id + 50))
        assert count(c, "SELECT count(*) FROM embeddings_v2 WHERE id = ANY(%s) AND tenant_id <> %s", (near, w.a)) == 0
        assert count(c, "SELECT count(*) FROM embeddings_v2 WHERE id = %s", (w.b_emb_id,)) == 0


@attack
def pg_stats_hide_rls_tables(w: World) -> None:
    """Planner statistics (most common values) would show B's data; pg_stats hides RLS-active tables."""
    with as_tenant(w) as c:
        assert count(c, "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = ANY(%s)",
                     (TENANT_TABLES,)) == 0


@attack
def leaky_temp_function_in_where(w: World) -> None:
    """A cheap, non-leakproof function of ours in WHERE must only ever see rows that passed the policy."""
    with as_tenant(w) as c:
        c.execute("CREATE FUNCTION pg_temp.leak(v text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS "
                  "$$BEGIN RAISE NOTICE 'leak:%', v; RETURN true; END$$")
        c.execute("SELECT id FROM nodes_v2 WHERE pg_temp.leak(name) AND pg_temp.leak(coalesce(summary, ''))")
        c.execute("SELECT id FROM files WHERE pg_temp.leak(extracted_text)")
        leaked = [n for n in c.notices if w.b_secret in n]  # type: ignore[attr-defined]
        assert leaked == [] and c.notices, c.notices  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------ direct writes


@attack
def update_b_rows(w: World) -> None:
    with as_tenant(w) as c:
        for table, col, val in (("nodes_v2", "name", "'pwned'"), ("edges_v2", "relation_name", "'pwned'"),
                                ("files", "extracted_text", "'pwned'"), ("file_chunks", "chunk_text", "'pwned'"),
                                ("tags_v2", "name", "'pwned'"), ("glyphs_4d", "x", "0"), ("users", "name", "'pwned'"),
                                ("embeddings_v2", "model", "'pwned'"), ("ingest_quarantine", "reason", "'pwned'")):
            assert rowcount(c, f"UPDATE {table} SET {col} = {val} WHERE tenant_id = %s", (w.b,)) == 0, table
        assert rowcount(c, "UPDATE tenants SET name = 'pwned' WHERE id = %s", (w.b,)) == 0


@attack
def delete_b_rows(w: World) -> None:
    with as_tenant(w) as c:
        for table in ("edges_v2", "node_tags_v2", "tag_links_v2", "graph_coords_v2", "embeddings_v2", "glyphs_4d",
                      "file_chunks", "files", "nodes_v2", "tags_v2", "users", "ingest_quarantine"):
            assert rowcount(c, f"DELETE FROM {table} WHERE tenant_id = %s", (w.b,)) == 0, table


@attack
def writable_cte_against_b(w: World) -> None:
    with as_tenant(w) as c:
        assert count(c, "WITH d AS (DELETE FROM edges_v2 WHERE tenant_id = %s RETURNING 1) SELECT count(*) FROM d",
                     (w.b,)) == 0
        assert count(c, "WITH u AS (UPDATE nodes_v2 SET name = 'x' WHERE id = %s RETURNING 1) SELECT count(*) FROM u",
                     (w.b_node,)) == 0


@attack
def insert_rows_for_b(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'concept', 'planted')", (w.b,))
        denied(c, "INSERT INTO tags_v2 (tenant_id, slug, name) VALUES (%s, 'planted', 'planted')", (w.b,))
        denied(c, "INSERT INTO files (tenant_id, filename, original_filename, file_type, mime_type, size_bytes, "
                  "storage_path) VALUES (%s, 'x', 'x', 'text', 'text/plain', 1, 'planted')", (w.b,))
        denied(c, "INSERT INTO ingest_quarantine (tenant_id, object_key, reason_code) VALUES (%s, 'x', 'x')", (w.b,))
        # the endpoint check (a BEFORE trigger) may refuse it before the policy does: either way no row
        denied(c, "INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%s, %s, %s, 'relates_to')",
               (w.b, w.b_node, w.b_node2), ("42501", "23503"))


@attack
def move_own_row_into_b(w: World) -> None:
    """UPDATE ... SET tenant_id = B: the WITH CHECK half of the policy refuses it."""
    with as_tenant(w) as c:
        denied(c, "UPDATE nodes_v2 SET tenant_id = %s WHERE id = %s", (w.b, w.a_node2), ("42501", "23503"))
        denied(c, "UPDATE tags_v2 SET tenant_id = %s WHERE id = %s", (w.b, w.a_tag), ("42501", "23503"))


@attack
def upsert_on_conflict_hijacks_b_row(w: World) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE on B's primary key: the existing row fails the UPDATE policy."""
    with as_tenant(w) as c:
        denied(c, "INSERT INTO nodes_v2 (id, tenant_id, kind, name) VALUES (%s, %s, 'concept', 'x') "
                  "ON CONFLICT (id) DO UPDATE SET name = 'pwned'", (w.b_node, w.a), ("42501",))
        # DO NOTHING swallows the conflict without touching B
        assert rowcount(c, "INSERT INTO nodes_v2 (id, tenant_id, kind, name) VALUES (%s, %s, 'concept', 'x') "
                           "ON CONFLICT DO NOTHING", (w.b_node, w.a)) == 0


@attack
def same_external_key_is_a_separate_namespace(w: World) -> None:
    """B's idempotency key inserted in A creates A's own row and leaves B's alone (no cross-tenant upsert)."""
    with as_tenant(w) as c:
        c.execute("DELETE FROM nodes_v2 WHERE external_key = 'doc:shared-key'")
        n = rowcount(c, "INSERT INTO nodes_v2 (tenant_id, kind, name, external_key) VALUES (%s, 'document', 'mine', "
                        "'doc:shared-key') ON CONFLICT (tenant_id, external_key) DO UPDATE SET name = 'mine'", (w.a,))
        assert n == 1
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE external_key = 'doc:shared-key'") == 1


# ------------------------------------------------------------------------------------------------ cross-tenant links


@attack
def edge_from_a_to_b_node(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%s, %s, %s, 'relates_to')",
               (w.a, w.a_node, w.b_node), ("23503", "P0001", "42501"))
        denied(c, "UPDATE edges_v2 SET dst_id = %s WHERE tenant_id = %s", (w.b_node, w.a), ("23503", "P0001", "42501"))


@attack
def tag_links_to_b_tag(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence) "
                  "VALUES (%s, %s, %s, 'x', 1)", (w.a_node, w.b_tag, w.a), ("23503", "P0001", "42501"))
        denied(c, "INSERT INTO tag_links_v2 (parent_id, child_id, tenant_id) VALUES (%s, %s, %s)",
               (w.a_tag, w.b_tag, w.a), ("23503", "P0001", "42501"))


@attack
def glyph_and_coords_on_b_node(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, related_node_id) "
               "VALUES (%s, 'visualization', 0, 0, 0, now(), %s)", (w.a, w.b_node), ("23503", "P0001", "42501"))
        denied(c, "INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, parent_id) "
               "VALUES (%s, 'visualization', 0, 0, 0, now(), %s)", (w.a, w.b_glyph), ("23503", "P0001", "42501"))
        denied(c, "INSERT INTO graph_coords_v2 (node_id, tenant_id, x, y, z) VALUES (%s, %s, 0, 0, 0)",
               (w.b_node, w.a), ("23503", "P0001", "42501"))


@attack
def embedding_of_b_object(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
               "VALUES (%s, 'node', %s, 'm', 3, '[1,2,3]')", (w.a, w.b_node), ("23503", "P0001", "42501"))
        denied(c, "INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
               "VALUES (%s, 'chunk', %s, 'm', 3, '[1,2,3]')", (w.a, w.b_chunk), ("23503", "P0001", "42501"))


@attack
def chunk_and_file_links_to_b(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO file_chunks (file_id, tenant_id, chunk_index, chunk_text) VALUES (%s, %s, 9, 'x')",
               (w.b_file, w.a), ("23503", "P0001", "42501"))
        denied(c, "UPDATE files SET node_id = %s WHERE tenant_id = %s", (w.b_node, w.a), ("23503", "P0001", "42501"))


# ------------------------------------------------------------------------------------------------ context tricks


@attack
def reset_and_reset_all_leave_no_tenant(w: World) -> None:
    with as_tenant(w) as c:
        c.execute("RESET app.tenant_id")
        assert count(c, "SELECT count(*) FROM nodes_v2") == 0  # empty = unset: no rows, no error (D7)
        c.execute("SELECT set_config('app.tenant_id', %s, true)", (w.a,))
        c.execute("RESET ALL")
        assert count(c, "SELECT count(*) FROM nodes_v2") == 0
        assert c.execute("SELECT get_tenant_context()").fetchone()[0] is None
        c.execute("SET LOCAL app.tenant_id = ''")
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE tenant_id = %s", (w.b,)) == 0


@attack
def garbage_tenant_context(w: World) -> None:
    with as_tenant(w) as c:
        c.execute("SET LOCAL app.tenant_id = 'not-a-uuid'")
        assert c.execute("SELECT get_tenant_context()").fetchone()[0] is None
        denied(c, "SELECT count(*) FROM nodes_v2", (), ("22P02",))
        c.execute("SET LOCAL app.tenant_id = '00000000-0000-0000-0000-000000000000'")
        assert count(c, "SELECT count(*) FROM nodes_v2") == 0
        c.execute("SELECT set_config('app.tenant_id', %s, true)", (f"{w.a}' OR true --",))
        denied(c, "SELECT count(*) FROM nodes_v2", (), ("22P02",))


@attack
def get_tenant_context_reports_the_context(w: World) -> None:
    with as_tenant(w) as c:
        assert str(c.execute("SELECT get_tenant_context()").fetchone()[0]) == w.a
    with psycopg.connect(app_dsn(), autocommit=True) as c:
        assert c.execute("SELECT get_tenant_context()").fetchone()[0] is None
        for table in TENANT_TABLES:
            assert count(c, f"SELECT count(*) FROM {table}") == 0, table  # no context: nothing, no error


@attack
def set_local_does_not_survive_the_transaction(w: World) -> None:
    with psycopg.connect(app_dsn(), autocommit=True) as c:
        with c.transaction():
            c.execute("SELECT set_config('app.tenant_id', %s, true)", (w.b,))
            assert count(c, "SELECT count(*) FROM nodes_v2") >= 2
        with c.transaction():
            assert count(c, "SELECT count(*) FROM nodes_v2") == 0
            assert c.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in ("", None)


@attack
def session_set_tenant_context_is_cleared_by_the_pool(w: World) -> None:
    """set_tenant_context (session-scoped, D2) on a pooled connection: the pool's reset drops it on return."""
    from glyph_io.graph_store import GraphStore

    store = GraphStore(app_dsn=app_dsn(), owner_dsn=os.environ["GLYPH_DATABASE_URL"], pool_size=1)
    try:
        with store.db.app() as c:
            c.execute("SELECT set_tenant_context(%s)", (w.b,))
            c.execute("SET app.user_role = 'admin'")
            c.commit()
            pid = c.info.backend_pid
        with store.db.app() as c:
            assert c.info.backend_pid == pid  # the same pooled connection
            assert c.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in ("", None)
            assert c.execute("SELECT current_setting('app.user_role', true)").fetchone()[0] in ("", None)
            assert count(c, "SELECT count(*) FROM nodes_v2") == 0
    finally:
        store.teardown_after_execution(None)  # type: ignore[arg-type]


@attack
def switch_to_b_inside_a_pipeline_transaction(w: World) -> None:
    """set_config to B inside a pipeline tenant transaction (Database.tenant(A)): trusted (D21), but it ends with the transaction, and every
    statement sees exactly one tenant: the one of its context at that moment."""
    from glyph_io.graph_store import GraphStore

    store = GraphStore(app_dsn=app_dsn(), owner_dsn=os.environ["GLYPH_DATABASE_URL"], pool_size=1)
    try:
        with store.db.tenant(w.a) as c:
            pid = c.info.backend_pid
            a_ids = {r[0] for r in c.execute("SELECT tenant_id::text FROM nodes_v2")}
            c.execute("SELECT set_config('app.tenant_id', %s, true)", (w.b,))
            b_ids = {r[0] for r in c.execute("SELECT tenant_id::text FROM nodes_v2")}
            c.execute("SELECT set_config('app.tenant_id', %s, false)", (w.b,))  # even session-scoped
        assert a_ids == {w.a} and b_ids == {w.b}
        with store.db.tenant(w.a) as c:
            assert c.info.backend_pid == pid
            assert {r[0] for r in c.execute("SELECT DISTINCT tenant_id::text FROM nodes_v2")} == {w.a}
        with store.db.app() as c:
            assert c.info.backend_pid == pid
            assert count(c, "SELECT count(*) FROM nodes_v2") == 0
    finally:
        store.teardown_after_execution(None)  # type: ignore[arg-type]


@attack
def prepared_statements_across_tenants(w: World) -> None:
    """A plan prepared in A's context, executed in B's and with no context: each answer follows the context.
    (autocommit: each `transaction()` is a real BEGIN/COMMIT, not a savepoint inside an implicit transaction.)"""
    with psycopg.connect(app_dsn(), autocommit=True) as c:
        c.execute("PREPARE q AS SELECT tenant_id::text FROM nodes_v2")
        results = []
        for tenant in (w.a, w.b, None, w.a):
            with c.transaction():
                if tenant:
                    c.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
                results.append({r[0] for r in c.execute("EXECUTE q")})
        assert results == [{w.a}, {w.b}, set(), {w.a}]
        # psycopg's automatic prepare (after 5 runs) keeps answering per context too
        auto = []
        for i in range(8):
            with c.transaction():
                c.execute("SELECT set_config('app.tenant_id', %s, true)", (w.a if i < 6 else w.b,))
                auto.append({r[0] for r in c.execute("SELECT tenant_id::text FROM nodes_v2 WHERE kind = %s",
                                                     ("document",))})
        assert auto[:6] == [{w.a}] * 6 and auto[6:] == [{w.b}] * 2


@attack
def set_role_to_other_roles(w: World) -> None:
    with as_tenant(w) as c:
        for role in ("glyph_owner", "glyph_admin", "glyph_readonly", "postgres"):
            denied(c, f"SET ROLE {role}", (), ("42501", "22023"))
        denied(c, "SET SESSION AUTHORIZATION glyph_owner", (), ("42501",))
        assert c.execute("SELECT current_user").fetchone()[0] == "glyph_app"


# ------------------------------------------------------------------------------------------------ DDL and privileges


@attack
def alter_drop_policies_and_rls(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "ALTER POLICY tenant_isolation ON nodes_v2 USING (true)")
        denied(c, "DROP POLICY tenant_isolation ON nodes_v2")
        denied(c, "CREATE POLICY open_all ON nodes_v2 USING (true)")
        denied(c, "ALTER TABLE nodes_v2 DISABLE ROW LEVEL SECURITY")
        denied(c, "ALTER TABLE nodes_v2 NO FORCE ROW LEVEL SECURITY")
        denied(c, "ALTER TABLE edges_v2 DISABLE TRIGGER ALL")
        denied(c, "ALTER TABLE audit_log DISABLE TRIGGER ALL")
        denied(c, "ALTER TABLE nodes_v2 OWNER TO glyph_app")


@attack
def create_view_or_function_in_public(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "CREATE VIEW public.all_nodes AS SELECT * FROM nodes_v2")
        denied(c, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'")
        denied(c, "CREATE TABLE public.stash AS SELECT * FROM nodes_v2")


@attack
def temp_view_is_still_rls_bound(w: World) -> None:
    with as_tenant(w) as c:
        c.execute("CREATE TEMP VIEW all_nodes AS SELECT * FROM nodes_v2")
        c.execute("CREATE TEMP VIEW all_nodes_barrier WITH (security_barrier = false) AS SELECT * FROM files")
        assert count(c, "SELECT count(*) FROM all_nodes WHERE tenant_id = %s", (w.b,)) == 0
        assert count(c, "SELECT count(*) FROM all_nodes_barrier WHERE tenant_id <> %s", (w.a,)) == 0
        c.execute("CREATE TEMP TABLE stash AS SELECT * FROM nodes_v2")
        assert count(c, "SELECT count(*) FROM stash WHERE tenant_id <> %s", (w.a,)) == 0


@attack
def temp_table_inheriting_from_tenant_table(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "CREATE TEMP TABLE kid () INHERITS (nodes_v2)")


@attack
def copy_to_and_from(w: World) -> None:
    with as_tenant(w) as c:
        with c.cursor() as cur:
            with cur.copy("COPY (SELECT * FROM nodes_v2 WHERE tenant_id = %s) TO STDOUT", (w.b,)) as copy:
                data = b"".join(bytes(block) for block in copy)
        assert data == b""
        with c.cursor() as cur:
            with cur.copy("COPY nodes_v2 (tenant_id, name) TO STDOUT") as copy:
                table_dump = b"".join(bytes(block) for block in copy)
        assert w.b.encode() not in table_dump and w.b_secret.encode() not in table_dump
        denied(c, "COPY nodes_v2 TO '/tmp/glyph-nodes-dump.csv'", (), ("42501",))
        denied(c, "COPY nodes_v2 FROM '/etc/hostname'", (), ("42501",))
        denied(c, "COPY nodes_v2 TO PROGRAM 'cat > /tmp/x'", (), ("42501",))
    with as_tenant(w) as c:
        try:
            with c.transaction(), c.cursor() as cur:
                with cur.copy("COPY nodes_v2 (tenant_id, kind, name) FROM STDIN") as copy:
                    copy.write_row((w.b, "concept", "copied-in"))
            raise AssertionError("COPY FROM STDIN planted a row in B")
        except psycopg.Error as exc:
            assert exc.sqlstate in ("42501", "0A000"), exc


@attack
def truncate_tables(w: World) -> None:
    with as_tenant(w) as c:
        for table in ("nodes_v2", "edges_v2", "tenants", "audit_log", "nodes_history", "change_outbox", "files"):
            denied(c, f"TRUNCATE {table} CASCADE", (), ("42501",))


@attack
def tamper_with_audit_history_outbox(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "DELETE FROM audit_log WHERE tenant_id = %s", (w.a,))
        denied(c, "UPDATE audit_log SET actor = 'nobody'")
        denied(c, "INSERT INTO audit_log (tenant_id, actor, table_name, action) VALUES (%s, 'x', 'x', 'x')", (w.b,))
        denied(c, "DELETE FROM nodes_history")
        denied(c, "INSERT INTO change_outbox (tenant_id, entity_type, entity_id, op) VALUES (%s, 'node', %s, 'c')",
               (w.b, w.b_node))
        denied(c, "DELETE FROM change_outbox WHERE tenant_id = %s", (w.b,))
        assert rowcount(c, "UPDATE change_outbox SET published_at = now() WHERE tenant_id = %s", (w.b,)) == 0


@attack
def tenants_table_writes(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "INSERT INTO tenants (id, slug, name) VALUES (gen_random_uuid(), 'evil', 'Evil')")
        denied(c, "DELETE FROM tenants WHERE id = %s", (w.b,))
        denied(c, "UPDATE tenants SET id = %s WHERE id = %s", (w.b, w.a), ("42501", "23505", "23503"))


@attack
def server_files_and_admin_functions(w: World) -> None:
    with as_tenant(w) as c:
        denied(c, "SELECT pg_read_file('/etc/passwd')")
        denied(c, "SELECT pg_ls_dir('.')")
        denied(c, "SELECT lo_import('/etc/passwd')")
        denied(c, "SELECT assert_tenant_isolation()")
        denied(c, "CREATE EXTENSION IF NOT EXISTS dblink", (), ("42501", "0A000", "58P01"))


# ------------------------------------------------------------------------------------------------ definer functions


@attack
def tenant_directory_exposes_only_id_slug_status(w: World) -> None:
    with as_tenant(w) as c:
        cur = c.execute("SELECT * FROM tenant_directory()")
        assert [d.name for d in cur.description] == ["id", "slug", "status"]
        rows = cur.fetchall()
        assert all(w.b_secret not in repr(r) for r in rows)
        assert (w.b, w.b_slug) in {(str(r[0]), r[1]) for r in rows}


@attack
def definer_functions_cannot_be_hijacked_by_search_path(w: World) -> None:
    """Temp objects named like the tables/functions a definer function uses, and a search_path that puts pg_temp
    first: tenant_directory still reads the real tenants; the audit/outbox definer triggers still write the real
    tables."""
    with as_tenant(w) as c:
        c.execute("CREATE TEMP TABLE tenants (id uuid, slug text, status text)")
        c.execute("INSERT INTO pg_temp.tenants VALUES (gen_random_uuid(), 'hijacked', 'active')")
        c.execute("CREATE TEMP TABLE audit_log (LIKE public.audit_log)")
        c.execute("CREATE TEMP TABLE change_outbox (LIKE public.change_outbox)")
        c.execute("CREATE FUNCTION pg_temp.current_setting(text, boolean) RETURNS text LANGUAGE sql AS "
                  f"$$SELECT '{w.b}'::text$$")
        c.execute("SET LOCAL search_path = pg_temp, public, pg_catalog")
        slugs = {r[0] for r in c.execute("SELECT slug FROM public.tenant_directory()")}
        assert "hijacked" not in slugs and w.a_slug in slugs
        before = count(c, "SELECT count(*) FROM public.audit_log")
        outbox_before = count(c, "SELECT count(*) FROM public.change_outbox")
        c.execute("INSERT INTO public.nodes_v2 (tenant_id, kind, name) VALUES (%s, 'concept', 'hijack probe')", (w.a,))
        assert count(c, "SELECT count(*) FROM pg_temp.audit_log") == 0
        assert count(c, "SELECT count(*) FROM pg_temp.change_outbox") == 0
        assert count(c, "SELECT count(*) FROM public.audit_log") == before + 1
        assert count(c, "SELECT count(*) FROM public.change_outbox") == outbox_before + 1
        # the policies use pg_catalog's current_setting, not the temp impostor returning B
        assert count(c, "SELECT count(*) FROM public.nodes_v2 WHERE tenant_id = %s", (w.b,)) == 0


@attack
def functions_not_granted_are_not_executable(w: World) -> None:
    with as_tenant(w) as c:
        for fn in ("audit_trigger_func()", "emit_change_event()", "archive_node_history()",
                   "check_edge_tenant_consistency()"):
            denied(c, f"SELECT {fn}", (), ("42501", "0A000"))
        rows = c.execute("""
            SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
              AND (p.proconfig IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search_path=%%'))
        """).fetchall()
        assert rows == [], f"SECURITY DEFINER functions without a fixed search_path: {rows}"


# ------------------------------------------------------------------------------------------------ readonly role


@attack
def readonly_role_cannot_cross_or_write(w: World) -> None:
    with as_tenant(w, dsn=os.environ["GLYPH_READONLY_DATABASE_URL"]) as c:
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE tenant_id = %s", (w.b,)) == 0
        assert count(c, "SELECT count(*) FROM nodes_v2") >= 1
        denied(c, "UPDATE nodes_v2 SET name = 'x'")
        denied(c, "INSERT INTO nodes_v2 (tenant_id, kind) VALUES (%s, 'concept')", (w.a,))
        denied(c, "DELETE FROM nodes_v2")
        denied(c, "SET ROLE glyph_app", (), ("42501",))


# ------------------------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack(world: World, name: str) -> None:
    ATTACKS[name](world)


def test_b_is_untouched_after_every_attack(world: World) -> None:
    """Runs last in this module: B's rows, as B sees them, are byte-for-byte what they were before the attacks."""
    assert fingerprint(world.b) == world.b_fingerprint
    with psycopg.connect(app_dsn()) as c, c.transaction():
        c.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true)",
                  (world.b, world.b_user))
        assert count(c, "SELECT count(*) FROM user_preferences") == 1
        assert count(c, "SELECT count(*) FROM nodes_v2 WHERE name LIKE 'planted%%' OR name = 'pwned'") == 0
