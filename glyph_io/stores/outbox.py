"""The transactional outbox of change events: backlog, claims for publishing, dead events, retention, metrics."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from glyph_core.models import EventImage, OutboxBacklog, OutboxStatus, RetentionResult, TenantMetrics
from glyph_io.database import Conn, Database, execute, rows, scalar

PRUNE_BATCH = 50_000


@dataclass
class Claim:
    """A batch of a tenant's oldest pending events, locked until the claim's transaction ends.

    Mark each event published or dead before the block ends; what is left unmarked stays pending.
    """

    tenant_id: str
    events: list[EventImage]
    _conn: Conn
    published: int = 0
    dead: list[tuple[int, str]] = field(default_factory=list)

    def mark_published(self, seqs: list[int]) -> None:
        if seqs:
            execute(self._conn, "mark_outbox_published", {"tenant_id": self.tenant_id, "seqs": seqs})
            self.published += len(seqs)

    def mark_dead(self, seq: int, reason: str) -> None:
        execute(self._conn, "mark_outbox_dead", {"tenant_id": self.tenant_id, "seq": seq, "reason": reason[:1000]})
        self.dead.append((seq, reason))

    def mark_failed(self, seqs: list[int], error: str) -> None:
        if seqs:
            execute(self._conn, "mark_outbox_failed", {"tenant_id": self.tenant_id, "seqs": seqs,
                                                       "error": error[:500]})


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def backlog(self) -> list[OutboxBacklog]:
        """Every tenant with pending events, in one statement (definer function; counts only)."""
        with self._db.app() as conn:
            return rows(conn, "pending_outbox", None, OutboxBacklog)

    @contextlib.contextmanager
    def claim(self, tenant_id: str, limit: int) -> Iterator[Claim]:
        """Lock the tenant's `limit` oldest pending events (SKIP LOCKED: two publishers never send one event)."""
        with self._db.tenant(tenant_id) as conn:
            events = rows(conn, "claim_outbox", {"tenant_id": tenant_id, "limit": limit}, EventImage)
            claim = Claim(tenant_id, events, conn)
            yield claim
            if claim.published or claim.dead:
                execute(conn, "count_published_events", {"tenant_id": tenant_id, "published": claim.published,
                                                         "dead": len(claim.dead)})

    def record_failure(self, tenant_id: str, error: str) -> int:
        """A delivery attempt failed for all pending events of the tenant (broker unreachable): say so on them."""
        with self._db.tenant(tenant_id) as conn:
            return execute(conn, "mark_pending_outbox_failed", {"tenant_id": tenant_id, "error": error[:500]})

    def status(self) -> list[OutboxStatus]:
        """Pending and dead events per tenant that has any (definer function; counts and the newest error)."""
        with self._db.app() as conn:
            return rows(conn, "outbox_status", None, OutboxStatus)

    def retry_dead(self, tenant_id: str) -> tuple[int, int]:
        """Re-drive the tenant's dead events: (requeued, superseded by a newer event of the same entity)."""
        with self._db.tenant(tenant_id) as conn:
            superseded = execute(conn, "supersede_dead_events", {"tenant_id": tenant_id})
            requeued = execute(conn, "requeue_dead_events", {"tenant_id": tenant_id})
        return requeued, superseded

    def metrics(self) -> list[TenantMetrics]:
        """Every tenant's exporter figures in one statement."""
        with self._db.app() as conn:
            return rows(conn, "tenant_metrics", None, TenantMetrics)

    def prune(self, outbox_days: int, audit_days: int) -> RetentionResult:
        """Delete events published more than `outbox_days` ago and audit rows older than `audit_days` (owner role,
        in batches so no single statement holds locks for long). Pending and dead events are never pruned."""
        deleted = {"prune_published_events": 0, "prune_audit_log": 0}
        with self._db.owner() as conn:
            for name, days in (("prune_published_events", outbox_days), ("prune_audit_log", audit_days)):
                while True:
                    n = int(scalar(conn, name, {"days": days, "batch": PRUNE_BATCH}))
                    deleted[name] += n
                    if n < PRUNE_BATCH:
                        break
        return RetentionResult(deleted["prune_published_events"], deleted["prune_audit_log"])
