"""Outbox -> Kafka: at-least-once delivery that one bad event, or one tenant, never stalls.

Per tenant, in sequence order, batches of pending events are claimed (locked), sent, and marked in the same
transaction: acknowledged events published; events the client or broker rejects for good dead, with the reason
(later events, of the same entity too, keep flowing: every event carries the entity's full state, so the newest
one supersedes a dead one; see `glyph outbox retry` for re-driving). A transient failure leaves the tenant's
remaining events pending and moves on to the next tenant, unless the broker itself is unreachable, in which case
every remaining tenant's events record the error and the run fails to be retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from glyph_core.errors import TransientError
from glyph_core.events import EventTooLarge, KafkaRecord, dead_letter, to_records
from glyph_core.models import EventImage
from glyph_io.event_bus import EventBus, is_broker_wide, is_permanent
from glyph_io.stores.outbox import Claim, OutboxStore

Log = Callable[[str], None]


@dataclass
class TenantReport:
    published: int = 0
    dead_events: list[tuple[int, str]] = field(default_factory=list)  # (sequence, reason), logged once
    error: str | None = None

    @property
    def dead(self) -> int:
        return len(self.dead_events)


@dataclass
class PublishReport:
    tenants: dict[str, TenantReport] = field(default_factory=dict)
    records: int = 0
    tombstones: int = 0
    largest_record: int = 0
    topics_created: list[str] = field(default_factory=list)
    broker_error: str | None = None
    seconds: float = 0.0

    @property
    def published(self) -> int:
        return sum(t.published for t in self.tenants.values())

    @property
    def dead(self) -> int:
        return sum(t.dead for t in self.tenants.values())

    @property
    def failed_tenants(self) -> dict[str, str]:
        return {tid: t.error for tid, t in self.tenants.items() if t.error}


class _Stalled(Exception):
    """A transient failure stopped this tenant's publishing for this run (its events stay pending)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


def publish(outbox: OutboxStore, bus: EventBus, *, tenant_ids: Sequence[str] | None = None, batch_size: int = 1000,
            flush_timeout_s: float = 30.0, log: Log = lambda _: None) -> PublishReport:
    """Publish every pending event (of `tenant_ids` only, when given); returns what happened per tenant.

    Raises TransientError only when no broker can be reached at all (after recording the error on the events).
    """
    started = time.perf_counter()
    report = PublishReport()
    backlog = [b for b in outbox.backlog() if tenant_ids is None or b.tenant_id in tenant_ids]
    if not backlog:
        return report
    try:
        producer = bus.producer()  # fails fast (bounded bootstrap) when no broker answers
    except TransientError as exc:
        for b in backlog:  # the outbox itself shows why they wait
            outbox.record_failure(b.tenant_id, str(exc))
        raise
    try:
        report.topics_created = bus.ensure_topics()
        for position, b in enumerate(backlog):
            tenant = report.tenants.setdefault(b.tenant_id, TenantReport())
            try:
                _publish_tenant(outbox, bus, producer, b.tenant_id, batch_size, flush_timeout_s, tenant, report)
                log(f"tenant {b.tenant_id}: {tenant.published} published, {tenant.dead} dead")
            except _Stalled as stalled:
                tenant.error = str(stalled)
                log(f"tenant {b.tenant_id}: stopped after {tenant.published} events: {tenant.error}")
                if is_broker_wide(stalled.cause):
                    report.broker_error = tenant.error
                    for rest in backlog[position + 1:]:
                        outbox.record_failure(rest.tenant_id, tenant.error)
                        report.tenants.setdefault(rest.tenant_id, TenantReport()).error = tenant.error
                    break
    finally:
        producer.close(timeout=5)
    report.seconds = time.perf_counter() - started
    return report


def _publish_tenant(outbox: OutboxStore, bus: EventBus, producer: Any, tenant_id: str, batch_size: int,
                    flush_timeout_s: float, tenant: TenantReport, report: PublishReport) -> None:
    while True:
        with outbox.claim(tenant_id, batch_size) as claim:
            if not claim.events:
                return
            stalled = _send_batch(bus, producer, claim, flush_timeout_s, report)
            tenant.published += claim.published
            tenant.dead_events.extend(claim.dead)
        if stalled is not None:
            raise _Stalled(stalled)


def _send_batch(bus: EventBus, producer: Any, claim: Claim, flush_timeout_s: float,
                report: PublishReport) -> BaseException | None:
    """Send a claimed batch; mark each event published or dead; returns the transient error that stopped it."""
    sent: list[tuple[EventImage, list[Any], list[KafkaRecord]]] = []
    transient: BaseException | None = None
    for event in claim.events:
        try:
            records = to_records(event, bus.topic_prefix, bus.event_max_bytes)
            futures = [producer.send(r.topic, key=r.key, value=r.value, headers=r.headers) for r in records]
        except EventTooLarge as exc:
            _dead(bus, producer, claim, event, f"too_large: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - kafka-python raises many error types
            if is_permanent(exc):
                _dead(bus, producer, claim, event, f"{type(exc).__name__}: {exc}")
                continue
            transient = exc
            break
        sent.append((event, futures, records))
    producer.flush(timeout=flush_timeout_s)
    delivered: list[int] = []
    for event, futures, records in sent:
        error = _first_error(futures)
        if error is None:
            delivered.append(event.seq)
            report.records += len(records)
            report.tombstones += sum(1 for r in records if r.value is None)
            report.largest_record = max([report.largest_record, *(r.size for r in records)])
        elif is_permanent(error):
            _dead(bus, producer, claim, event, f"{type(error).__name__}: {error}")
        elif transient is None:
            transient = error
    claim.mark_published(delivered)
    if transient is not None:
        done = set(delivered) | {seq for seq, _ in claim.dead}
        claim.mark_failed([e.seq for e in claim.events if e.seq not in done], f"{type(transient).__name__}: {transient}")
    return transient


def _first_error(futures: list[Any]) -> BaseException | None:
    for future in futures:
        if not future.is_done:
            return TimeoutError("the broker did not acknowledge the record in time")
        if future.failed():
            exc: BaseException = future.exception
            return exc
    return None


def _dead(bus: EventBus, producer: Any, claim: Claim, event: EventImage, reason: str) -> None:
    """Mark the event dead (kept until re-driven); optionally leave a reference on the dead-letter topic."""
    claim.mark_dead(event.seq, reason)
    if bus.dead_letter_topic:
        letter = dead_letter(event, reason, bus.dead_letter_topic)
        try:
            producer.send(letter.topic, key=letter.key, value=letter.value, headers=letter.headers)
        except Exception:  # noqa: BLE001 - the outbox row is the record of truth; the topic is a convenience
            pass
