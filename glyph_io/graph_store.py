"""GraphStore: the Dagster resource for PostgreSQL + pgvector, one typed store per area of the schema.

Stages call `graph_store.<area>.<method>(...)` and get glyph_core values back; they never see a connection. The pool
is glyph_app's (RLS-bound); the owner role is used only for provisioning, index DDL and retention.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
from pydantic import PrivateAttr

from glyph_io.database import Database
from glyph_io.stores.chunks import ChunkStore
from glyph_io.stores.documents import DocumentStore
from glyph_io.stores.embeddings import EmbeddingStore
from glyph_io.stores.glyphs import GlyphStore
from glyph_io.stores.graph import NodeEdgeStore
from glyph_io.stores.indexes import IndexStore
from glyph_io.stores.knowledge import KnowledgeStore
from glyph_io.stores.mentions import MentionStore
from glyph_io.stores.outbox import OutboxStore
from glyph_io.stores.tenants import TenantStore


class GraphStore(dg.ConfigurableResource["GraphStore"]):
    """PostgreSQL + pgvector: glyph_app for tenant data (RLS), the owner for DDL, provisioning and retention."""

    app_dsn: str
    owner_dsn: str
    pool_size: int = 4
    actor: str = "glyph-pipeline"
    plan_cache_mode: str = "auto"  # the pipeline's sessions ("" = the database default, force_custom_plan: the app's)

    _db: Database | None = PrivateAttr(default=None)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.app_dsn, self.owner_dsn, pool_size=self.pool_size, actor=self.actor,
                                plan_cache_mode=self.plan_cache_mode)
        return self._db

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool (Dagster does this after a run; the CLI and tests call it themselves)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def tenant_lock(self, tenant_id: str, wait_seconds: float = 600) -> contextlib.AbstractContextManager[None]:
        """Held for a whole stage: two runs of one tenant never interleave (released if the process dies)."""
        return self.db.tenant_lock(tenant_id, wait_seconds)

    @property
    def tenants(self) -> TenantStore:
        return TenantStore(self.db)

    @property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.db)

    @property
    def chunks(self) -> ChunkStore:
        return ChunkStore(self.db)

    @property
    def embeddings(self) -> EmbeddingStore:
        return EmbeddingStore(self.db)

    @property
    def knowledge(self) -> KnowledgeStore:
        return KnowledgeStore(self.db)

    @property
    def mentions(self) -> MentionStore:
        return MentionStore(self.db)

    @property
    def graph(self) -> NodeEdgeStore:
        return NodeEdgeStore(self.db)

    @property
    def glyphs(self) -> GlyphStore:
        return GlyphStore(self.db)

    @property
    def outbox(self) -> OutboxStore:
        return OutboxStore(self.db)

    @property
    def indexes(self) -> IndexStore:
        return IndexStore(self.db)


@contextlib.contextmanager
def opened(store: GraphStore) -> Iterator[GraphStore]:
    """Use a GraphStore outside a Dagster run (CLI, tests) and close its pool afterwards."""
    try:
        yield store
    finally:
        store.close()


class Housekeeping(dg.ConfigurableResource["Housekeeping"]):
    """Operators' thresholds: how long delivered change events and audit rows are kept (pending and dead events
    stay until delivered or re-driven), and how old a pending event may get before the outbox check fails."""

    outbox_days: int = 7
    audit_days: int = 90
    outbox_alert_age_s: int = 600
