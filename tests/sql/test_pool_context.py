"""A pooled connection never carries one tenant's context into work for another (contract D2)."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool

from glyph_io.database import _reset as _reset_connection
from glyph_io.graph_store import GraphStore


def test_one_pooled_connection_serves_tenant_a_then_b_then_no_tenant(env: dict[str, str], make_tenant: Any) -> None:
    a, _ = make_tenant("poola")
    b, _ = make_tenant("poolb")
    store = GraphStore(app_dsn=env["GLYPH_APP_DATABASE_URL"], owner_dsn=env["GLYPH_DATABASE_URL"], pool_size=1)
    try:
        with store.db.tenant(a) as conn:
            conn.execute("INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'concept', 'only A')", (a,))
            pid_a = conn.info.backend_pid
        with store.db.tenant(b) as conn:
            assert conn.info.backend_pid == pid_a  # the same server connection, reused
            assert conn.execute("SELECT count(*) FROM nodes_v2").fetchone()[0] == 0
            assert conn.execute("SELECT get_tenant_context()").fetchone()[0] is not None
        with store.db.app() as conn:
            assert conn.info.backend_pid == pid_a
            assert conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in (None, "")
            assert conn.execute("SELECT get_tenant_context()").fetchone()[0] is None
            assert conn.execute("SELECT count(*) FROM nodes_v2").fetchone()[0] == 0
    finally:
        store.teardown_after_execution(None)  # type: ignore[arg-type]


def test_a_session_level_context_left_by_careless_code_is_reset_when_the_connection_returns(env: dict[str, str],
                                                                                             make_tenant: Any) -> None:
    a, _ = make_tenant("leak")
    with ConnectionPool(env["GLYPH_APP_DATABASE_URL"], min_size=1, max_size=1, reset=_reset_connection,
                        kwargs={"autocommit": True}) as pool:
        with pool.connection() as conn:
            conn.execute("SELECT set_tenant_context(%s)", (a,))  # session-scoped, as the reference did
            assert conn.execute("SELECT get_tenant_context()").fetchone()[0] is not None
        with pool.connection() as conn:
            assert conn.execute("SELECT get_tenant_context()").fetchone()[0] is None
            assert conn.execute("SELECT count(*) FROM nodes_v2").fetchone()[0] == 0


def test_transaction_scoped_context_ends_at_commit(env: dict[str, str], make_tenant: Any) -> None:
    import psycopg

    a, _ = make_tenant("txscope")
    with psycopg.connect(env["GLYPH_APP_DATABASE_URL"], autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT set_tenant_context_local(%s)", (a,))
            assert str(conn.execute("SELECT get_tenant_context()").fetchone()[0]) == a
        # after COMMIT the setting reads as empty: no rows and no invalid-uuid error (D7)
        assert conn.execute("SELECT get_tenant_context()").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM nodes_v2").fetchone()[0] == 0
