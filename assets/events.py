"""change_events / tenant_events: the transactional outbox (written by triggers with every node/edge/glyph change)
sent to Kafka; `tenant_events` ends each tenant's ingest run so a new document's events leave within seconds,
`change_events` drains every tenant's backlog (the outbox sensor and `glyph run` trigger it).

At-least-once with consumer dedup by event id; no record over the size limit; events rejected for good are dead
(kept with their reason, re-driven by `glyph outbox retry`); one tenant's failure never stops another's.
"""

import logging
from typing import Any

import dagster as dg

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.errors import TransientError
from glyph_io.event_bus import EventBus
from glyph_io.graph_store import GraphStore, Housekeeping
from glyph_io.logs import log_event
from glyph_io.publisher import PublishReport, publish

OUTBOX_HEALTHY = "outbox_healthy"


class PublishConfig(dg.Config):
    batch_size: int = 1000
    flush_timeout_s: float = 30.0


def _publish(context: dg.AssetExecutionContext, config: PublishConfig, graph_store: GraphStore, bus: EventBus,
             housekeeping: Housekeeping, tenant_ids: list[str] | None) -> Materialized:
    report = publish(graph_store.outbox, bus, tenant_ids=tenant_ids, batch_size=config.batch_size,
                     flush_timeout_s=config.flush_timeout_s, log=context.log.info)
    for tenant_id, tenant in report.tenants.items():
        for seq, reason in tenant.dead_events:  # logged once: a dead event is never picked up again by itself
            log_event(context, f"event {seq} is dead: {reason}", tenant=tenant_id, level=logging.ERROR)
    if report.broker_error:
        raise TransientError(f"Kafka delivery stopped: {report.broker_error}; the events stay pending and are retried")
    status = [s for s in graph_store.outbox.status() if tenant_ids is None or s.tenant_id in tenant_ids]
    dead = sum(s.dead for s in status)
    oldest = max((s.oldest_pending_age_s for s in status), default=0.0)
    return dg.MaterializeResult(metadata=_metadata(report), check_results=[dg.AssetCheckResult(
        check_name=OUTBOX_HEALTHY, passed=dead == 0 and oldest <= housekeeping.outbox_alert_age_s and not report.failed_tenants,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"dead_events": dead, "oldest_pending_age_s": round(oldest, 1),
                  "tenants_stalled": dg.MetadataValue.json(report.failed_tenants)})])


def _metadata(report: PublishReport) -> dict[str, Any]:
    per_tenant = {t: {"published": r.published, "dead": r.dead, "error": r.error} for t, r in report.tenants.items()}
    return {"events_published": report.published, "events_dead": report.dead, "kafka_records_sent": report.records,
            "tombstones": report.tombstones, "largest_record_bytes": report.largest_record,
            "tenants": len(report.tenants), "per_tenant": dg.MetadataValue.json(per_tenant),
            "topics_created": dg.MetadataValue.json(report.topics_created), "duration_s": round(report.seconds, 3)}


def _check(asset: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(OUTBOX_HEALTHY, asset=asset, description="no dead events, no tenant stalled, and "
                              "the oldest pending event younger than the alert age")]


@dg.asset(deps=["entity_graph", "glyph_projections"], retry_policy=TRANSIENT_RETRY, group_name="events",
          kinds={"kafka", "postgres"}, tags={"glyph/stage": "publish"}, check_specs=_check("change_events"))
@retry_transient
def change_events(context: dg.AssetExecutionContext, config: PublishConfig, graph_store: GraphStore,
                  event_bus: EventBus, housekeeping: Housekeeping) -> Materialized:
    """Change events of every tenant (CloudEvents headers, Debezium-style values) delivered to Kafka."""
    return _publish(context, config, graph_store, event_bus, housekeeping, None)


@dg.asset(partitions_def=tenant_partitions, deps=["entity_graph"], retry_policy=TRANSIENT_RETRY,
          group_name="events", kinds={"kafka", "postgres"}, tags={"glyph/stage": "publish"},
          check_specs=_check("tenant_events"))
@retry_transient
def tenant_events(context: dg.AssetExecutionContext, config: PublishConfig, graph_store: GraphStore,
                  event_bus: EventBus, housekeeping: Housekeeping) -> Materialized:
    """The tenant's change events, delivered at the end of its ingest run (freshness: seconds, not a sensor tick)."""
    tenant = graph_store.tenants.by_slug(context.partition_key)
    return _publish(context, config, graph_store, event_bus, housekeeping, [tenant.id])
