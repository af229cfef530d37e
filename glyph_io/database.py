"""PostgreSQL access for the stores: one pool of glyph_app connections, the tenant transaction, the tenant lock.

Only the stores (glyph_io.stores.*) use this module; stages never see a connection. Every tenant transaction sets
`app.tenant_id` with `set_config(..., true)`, so the context ends at COMMIT/ROLLBACK, and connections go back to the
pool through `RESET ALL`. Driver errors are classified once, here: retrying can help -> TransientError.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import psycopg
from pgvector import Vector
from pgvector.psycopg import register_vector
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from glyph_core.errors import TerminalError, TransientError
from glyph_io.sql import load_sql

T = TypeVar("T")
Params = Mapping[str, Any] | Sequence[Any] | None
Conn = psycopg.Connection[Any]

TRANSIENT = (psycopg.OperationalError, psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected,
             psycopg.errors.LockNotAvailable)


class UnknownTenant(TerminalError):
    """No tenant has this slug; retrying cannot help until someone provisions it."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown tenant '{slug}': add it with `glyph tenants add {slug}`")


def _configure(conn: Conn) -> None:
    """New pool connection: numpy arrays <-> pgvector (text and binary, COPY included)."""
    register_vector(conn)


def _reset(conn: Conn) -> None:
    """Pool `reset` hook: a connection going back to the pool carries no tenant, actor or setting (D2)."""
    conn.execute(load_sql("reset_session").encode())


@contextlib.contextmanager
def _cancel_on_interrupt(conn: Conn) -> Iterator[None]:
    """SIGTERM/SIGINT during a statement: cancel it on the server and drop the connection, at once.

    psycopg cancels on KeyboardInterrupt itself, but Dagster turns signals into its own interrupt exception; without
    this the rollback would wait for the statement to finish, and a retry would wait for the statement's locks.
    """
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, Exception) and conn.pgconn.transaction_status == TransactionStatus.ACTIVE:
            conn.cancel_safe(timeout=5)
            conn.close()
        raise


class Database:
    """The glyph_app pool (RLS-bound) and the owner DSN (DDL, provisioning); opened lazily, closed by its owner."""

    def __init__(self, app_dsn: str, owner_dsn: str, *, pool_size: int = 4, actor: str = "glyph-pipeline",
                 plan_cache_mode: str = "auto") -> None:
        self.app_dsn, self.owner_dsn, self.actor = app_dsn, owner_dsn, actor
        self._pool_size = pool_size
        # The database default (sql/16) is force_custom_plan, for the app's readers. The pipeline writes in bulk:
        # every row's foreign-key checks run saved plans, and re-planning them per row made the 27,000-edge insert
        # of a 1,000-document tenant take 21 s instead of 3 s. A startup option is the session's reset value, so it
        # survives the pool's RESET ALL. "" = the database default (what the app sees; the bench measures that).
        self._options = f"-c plan_cache_mode={plan_cache_mode}" if plan_cache_mode else ""
        # pg_stat_activity tells which process holds which connection (and which statements a stopped run left)
        self._application_name = f"glyph-pipeline-{os.getpid()}"
        self._pool: ConnectionPool[Conn] | None = None

    def _get_pool(self) -> ConnectionPool[Conn]:
        if self._pool is None:
            self._pool = ConnectionPool(
                self.app_dsn, min_size=1, max_size=self._pool_size, configure=_configure, reset=_reset, open=True,
                timeout=30, kwargs={"application_name": self._application_name, "autocommit": True,
                                    **({"options": self._options} if self._options else {})})
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextlib.contextmanager
    def tenant(self, tenant_id: str) -> Iterator[Conn]:
        """One transaction scoped to `tenant_id`: commits on success, rolls back on error."""
        try:
            with self._get_pool().connection() as conn, conn.transaction(), _cancel_on_interrupt(conn):
                conn.execute(load_sql("set_tenant_scope").encode(), {"tenant_id": str(tenant_id), "actor": self.actor})
                yield conn
        except psycopg.errors.ProgramLimitExceeded:
            raise  # SQLSTATE 54xxx (e.g. tsvector over 1 MB) is an OperationalError, but retrying cannot help
        except TRANSIENT as exc:
            raise TransientError(f"database unavailable or conflicting: {exc}") from exc

    @contextlib.contextmanager
    def app(self) -> Iterator[Conn]:
        """A connection with no tenant context: only tenant-agnostic definer functions return rows."""
        try:
            with self._get_pool().connection() as conn, _cancel_on_interrupt(conn):
                yield conn
        except TRANSIENT as exc:
            raise TransientError(f"database unavailable: {exc}") from exc

    @contextlib.contextmanager
    def owner(self) -> Iterator[Conn]:
        """The schema owner in autocommit (DDL such as CREATE INDEX CONCURRENTLY); still RLS-bound (FORCE)."""
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True, application_name="glyph-maintenance") as conn, \
                    _cancel_on_interrupt(conn):
                yield conn
        except TRANSIENT as exc:
            raise TransientError(f"database unavailable: {exc}") from exc

    @contextlib.contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 600) -> Iterator[None]:
        """Session advisory lock per tenant, held for a whole stage: two runs of one tenant never interleave.

        The lock lives on its own connection, so a killed process releases it when the server drops the session.
        """
        try:
            conn = psycopg.connect(self.app_dsn, autocommit=True, application_name="glyph-tenant-lock")
        except TRANSIENT as exc:
            raise TransientError(f"database unavailable: {exc}") from exc
        with conn:
            key = {"key": f"glyph:tenant:{tenant_id}"}
            deadline = time.monotonic() + wait_seconds
            while not scalar(conn, "try_tenant_lock", key):
                if time.monotonic() > deadline:
                    raise TransientError(f"tenant {tenant_id} is locked by another run for over {wait_seconds:.0f} s")
                time.sleep(0.5)
            try:
                yield
            finally:
                if not conn.closed:
                    execute(conn, "release_tenant_lock", key)


def rows(conn: Conn, name: str, params: Params, row: type[T]) -> list[T]:
    """All rows of query `name` as `row` dataclasses (columns matched by name)."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        return cur.execute(load_sql(name).encode(), params).fetchall()


def one(conn: Conn, name: str, params: Params, row: type[T]) -> T | None:
    with conn.cursor(row_factory=class_row(row)) as cur:
        return cur.execute(load_sql(name).encode(), params).fetchone()


def scalar(conn: Conn, name: str, params: Params = None) -> Any:
    """The first column of the first row of query `name` (None when there is no row)."""
    found = conn.execute(load_sql(name).encode(), params).fetchone()
    return None if found is None else found[0]


def values(conn: Conn, name: str, params: Params = None, *, prepare: bool | None = None) -> list[Any]:
    """The first column of every row of query `name` (prepare=False when session settings change its plan)."""
    return [r[0] for r in conn.execute(load_sql(name).encode(), params, prepare=prepare).fetchall()]


def execute(conn: Conn, name: str, params: Params = None) -> int:
    """Run query `name`; returns the rows it touched."""
    cur = conn.execute(load_sql(name).encode(), params)
    return max(cur.rowcount, 0)


def tuples(conn: Conn, name: str, params: Params = None, *, binary: bool = False) -> list[tuple[Any, ...]]:
    """Every row of query `name` as a tuple (for pairs and vectors where a dataclass would add nothing); `binary`
    fetches in PostgreSQL's binary format (vectors arrive as packed floats instead of text to parse)."""
    return conn.execute(load_sql(name).encode(), params, binary=binary).fetchall()


def array(value: Vector | np.ndarray) -> np.ndarray:
    """A pgvector value as float32 numpy (pgvector's loaders return Vector objects)."""
    if isinstance(value, Vector):
        return np.asarray(value.to_numpy(), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)
