"""change_events: the transactional outbox (written by triggers with every node/edge/glyph change) sent to Kafka.

At-least-once with consumer dedup by event id: a batch is marked published only after the broker acknowledged every
record (acks=all, idempotent producer); a broker outage leaves the batch pending for the next run or sensor tick.
Key = tenant id + entity id, so each entity's events stay in order on one partition.
"""


import time

import dagster as dg

from glyph_core.errors import TransientError
from glyph_core.events import OutboxEvent, to_records
from glyph_io.logs import log_event
from glyph_io.resources import EventBus, GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql

BATCH = 1000


class PublishConfig(dg.Config):  # type: ignore[misc]
    batch_size: int = BATCH
    flush_timeout_s: float = 30.0


@dg.asset(
    deps=["knowledge_graph", "glyph_projections"],
    retry_policy=TRANSIENT_RETRY,
    group_name="events",
    kinds={"kafka", "postgres"},
    tags={"glyph/stage": "publish"},
)
@retry_transient
def change_events(context: dg.AssetExecutionContext, config: PublishConfig, graph_store: GraphStore,
                  event_bus: EventBus) -> dg.MaterializeResult:
    """Change events (CloudEvents headers, Debezium-style values) delivered from the outbox to Kafka topics."""
    started = time.perf_counter()
    with graph_store.app_connection() as conn:
        pending = {str(t): int(n) for t, n in conn.execute(load_sql("pending_outbox")).fetchall()}
    if not pending:
        return dg.MaterializeResult(metadata={"events_published": 0, "tenants": 0, "pending_after": 0})
    try:
        producer = event_bus.producer()
    except TransientError as exc:
        # the broker is unreachable: record it on every pending event, so the outbox itself shows why they wait
        for tenant_id in sorted(pending):
            with graph_store.tenant_tx(tenant_id) as conn:
                conn.execute(load_sql("mark_pending_outbox_failed"), {"tenant_id": tenant_id, "error": str(exc)[:500]})
        raise
    published: dict[str, int] = {}
    records_sent = tombstones = 0
    try:
        for tenant_id in sorted(pending):
            while True:
                with graph_store.tenant_tx(tenant_id) as conn:
                    rows = conn.execute(load_sql("claim_outbox"),
                                        {"tenant_id": tenant_id, "limit": config.batch_size}).fetchall()
                    if not rows:
                        break
                    events = [OutboxEvent(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4]), r[5], r[6], r[7],
                                          int(r[8]), r[9]) for r in rows]
                    seqs = [e.seq for e in events]
                    try:
                        futures = []
                        for event in events:
                            for rec in to_records(event, event_bus.topic_prefix):
                                futures.append(producer.send(rec.topic, key=rec.key, value=rec.value,
                                                             headers=rec.headers))
                                tombstones += rec.value is None
                        producer.flush(timeout=config.flush_timeout_s)
                        for f in futures:
                            f.get(timeout=config.flush_timeout_s)  # raises if any record was not acknowledged
                    except Exception as exc:  # noqa: BLE001 - kafka-python raises many error types
                        error = f"{type(exc).__name__}: {exc}"
                        raise _DeliveryFailed(tenant_id, seqs, error) from exc
                    conn.execute(load_sql("mark_outbox_published"), {"tenant_id": tenant_id, "seqs": seqs})
                records_sent += len(futures)
                published[tenant_id] = published.get(tenant_id, 0) + len(events)
                log_event(context, f"{published[tenant_id]}/{pending[tenant_id]} events published", tenant=tenant_id)
    except _DeliveryFailed as failed:
        with graph_store.tenant_tx(failed.tenant_id) as conn:
            conn.execute(load_sql("mark_outbox_failed"),
                         {"tenant_id": failed.tenant_id, "seqs": failed.seqs, "error": failed.error[:500]})
        raise TransientError(f"Kafka delivery failed for {len(failed.seqs)} events of tenant {failed.tenant_id} "
                             f"({failed.error}); they stay in the outbox and are retried") from failed
    finally:
        producer.close(timeout=5)
    return dg.MaterializeResult(metadata={
        "events_published": sum(published.values()),
        "kafka_records_sent": records_sent,
        "tombstones": tombstones,
        "tenants": len(published),
        "duration_s": round(time.perf_counter() - started, 3),
    })


class _DeliveryFailed(Exception):
    def __init__(self, tenant_id: str, seqs: list[int], error: str) -> None:
        super().__init__(error)
        self.tenant_id, self.seqs, self.error = tenant_id, seqs, error
