"""The spec's own SQL, verbatim, against our schema as the non-superuser owner role (GLYPH_DATABASE_URL).

Spec: ../shared/spec/000_083aa8db25c58539.txt ("Verify Installation", "Testing Multi-Tenant Isolation",
"Troubleshooting"). The isolation script uses fixed tenant ids and slugs, so the test removes those tenants
before and after each run (as the owner: set the tenant's context, delete the row; everything cascades).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

VERIFY_EXTENSIONS = "SELECT * FROM pg_extension WHERE extname IN ('vector', 'pgcrypto', 'uuid-ossp');"
VERIFY_RLS = ("SELECT tablename, relrowsecurity, relforcerowsecurity FROM pg_tables t JOIN pg_class c "
              "ON c.relname = t.tablename WHERE schemaname = 'public' AND tablename LIKE '%_v2';")
VERIFY_POLICIES = "SELECT schemaname, tablename, policyname FROM pg_policies WHERE policyname = 'tenant_isolation';"

ISOLATION_SCRIPT = """\
-- Create test tenants
INSERT INTO tenants (id, slug, name) VALUES 
    ('11111111-1111-1111-1111-111111111111', 'tenant-a', 'Tenant A'),
    ('22222222-2222-2222-2222-222222222222', 'tenant-b', 'Tenant B');

-- Set context to Tenant A
SELECT set_tenant_context('11111111-1111-1111-1111-111111111111');

-- Insert node for Tenant A
INSERT INTO nodes_v2 (tenant_id, kind, name) 
VALUES ('11111111-1111-1111-1111-111111111111', 'glyph', 'Test Node A');

-- Switch to Tenant B
SELECT set_tenant_context('22222222-2222-2222-2222-222222222222');

-- Try to query - should return empty (RLS isolation working)
SELECT * FROM nodes_v2; -- Returns 0 rows

-- Insert node for Tenant B
INSERT INTO nodes_v2 (tenant_id, kind, name) 
VALUES ('22222222-2222-2222-2222-222222222222', 'glyph', 'Test Node B');

-- Verify only Tenant B's data visible
SELECT * FROM nodes_v2; -- Returns 1 row (Tenant B's node)
"""

TROUBLESHOOTING = [
    """SELECT tablename, relrowsecurity, relforcerowsecurity 
FROM pg_tables t 
JOIN pg_class c ON c.relname = t.tablename 
WHERE schemaname = 'public' AND tablename LIKE '%_v2';""",
    "SELECT current_setting('app.tenant_id', true);",
    "SELECT * FROM pg_policies WHERE policyname = 'tenant_isolation';",
    "SELECT COUNT(*) FROM nodes_v2 WHERE tenant_id IS NULL;",
    """SELECT tgname, tgrelid::regclass FROM pg_trigger 
WHERE tgname LIKE '%tenant%';""",
]

SPEC_TENANTS = ("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222")
SPEC_SLUGS = ("tenant-a", "tenant-b")


def statements(script: str) -> list[str]:
    """The script's statements in order (split at a ';' ending a statement; comments stay with what follows)."""
    parts = [p.strip() for p in re.split(r";[ \t]*(?=--|\n|$)", script)]
    return [p for p in parts if re.sub(r"--[^\n]*", "", p).strip()]


def remove_spec_tenants(owner_dsn: str) -> None:
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        ids = {r[0] for r in conn.execute("SELECT id::text FROM tenants WHERE id = ANY(%s::uuid[]) OR slug = ANY(%s)",
                                          (list(SPEC_TENANTS), list(SPEC_SLUGS))).fetchall()}
        for tenant_id in ids:
            conn.execute("SELECT set_tenant_context(%s)", (tenant_id,))
            conn.execute("DELETE FROM tenants WHERE id = %s", (tenant_id,))


@pytest.fixture()
def spec_tenants_absent(db: dict[str, str]) -> Any:
    remove_spec_tenants(db["owner"])
    yield
    remove_spec_tenants(db["owner"])


def check_isolation_results(results: list[list[tuple[Any, ...]] | None]) -> None:
    # statement 4 is the first SELECT * FROM nodes_v2 (tenant B, before its insert), statement 6 the second
    assert results[4] == [], f"tenant B saw {results[4]}"
    assert results[6] is not None and len(results[6]) == 1
    assert "Test Node B" in results[6][0]


def run_statements(conn: psycopg.Connection[Any], stmts: list[str]) -> list[list[tuple[Any, ...]] | None]:
    out: list[list[tuple[Any, ...]] | None] = []
    for stmt in stmts:
        cur = conn.execute(stmt)
        out.append(cur.fetchall() if cur.description else None)
    return out


def test_verify_installation_queries(db: dict[str, str], connect: Any) -> None:
    conn = connect("owner", autocommit=True)
    assert conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()[0] \
        is False
    extensions = conn.execute(VERIFY_EXTENSIONS).fetchall()
    assert [r[1] for r in extensions] == ["vector"]
    rls = conn.execute(VERIFY_RLS).fetchall()
    v2 = {"nodes_v2", "edges_v2", "tags_v2", "tag_links_v2", "node_tags_v2", "graph_coords_v2", "embeddings_v2"}
    assert {r[0] for r in rls} == v2 and all(r[1] and r[2] for r in rls), rls
    policies = conn.execute(VERIFY_POLICIES).fetchall()
    assert {r[1] for r in policies} >= v2 | {"tenants", "api_keys", "users", "glyphs_4d", "audit_log", "files",
                                             "file_chunks", "user_preferences", "custom_instructions",
                                             "learned_profiles", "user_interactions", "search_history"}


def test_isolation_script_autocommit_statement_by_statement(db: dict[str, str], spec_tenants_absent: None) -> None:
    stmts = statements(ISOLATION_SCRIPT)
    assert len(stmts) == 7
    with psycopg.connect(db["owner"], autocommit=True) as conn:
        check_isolation_results(run_statements(conn, stmts))
        # the tenant context really is session-scoped: it survived every autocommit statement
        assert conn.execute("SELECT current_setting('app.tenant_id')").fetchone()[0] == SPEC_TENANTS[1]


def test_isolation_script_in_one_transaction(db: dict[str, str], spec_tenants_absent: None) -> None:
    with psycopg.connect(db["owner"]) as conn:
        conn.execute("BEGIN")
        check_isolation_results(run_statements(conn, statements(ISOLATION_SCRIPT)))
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM tenants WHERE id = ANY(%s::uuid[])",
                            (list(SPEC_TENANTS),)).fetchone()[0] == 0
        assert conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in ("", None)


def test_isolation_script_pasted_into_psql(db: dict[str, str], kit: Any, spec_tenants_absent: None) -> None:
    """The script exactly as printed, fed to psql in autocommit (stop on the first error)."""
    proc = kit.run_psql(db["owner"], "-A", "-t", "-c", "SET client_min_messages = warning", "-f", "-",
                        stdin=ISOLATION_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    assert "ERROR" not in proc.stderr
    names = [line.split("|")[3] for line in proc.stdout.splitlines() if line.count("|") > 10]
    assert names == ["Test Node B"], proc.stdout


def test_troubleshooting_queries(db: dict[str, str], connect: Any, spec_tenants_absent: None) -> None:
    conn = connect("owner", autocommit=True)
    results = [conn.execute(q).fetchall() for q in TROUBLESHOOTING]
    assert results[0] and all(r[1] and r[2] for r in results[0])
    assert results[2]
    assert results[3] == [(0,)]
    triggers = {r[0] for r in results[4]}
    assert {"enforce_edge_tenant_consistency", "enforce_node_tag_tenant_consistency",
            "enforce_tag_link_tenant_consistency", "enforce_graph_coords_tenant_consistency",
            "enforce_embeddings_tenant_consistency"} <= triggers
