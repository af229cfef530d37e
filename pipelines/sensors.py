"""Sensors: tenants appear/disappear as partitions; new objects trigger their tenant only; the outbox drains.

Each tick is a decision tested on its own (tests/pipelines/test_sensors.py); skips always say why.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipelines import jobs
from assets.partitions import TENANTS, tenant_partitions
from glyph_io.resources import GraphStore, ObjectStore

ACTIVE = {"active", "trial", "enterprise"}


@dg.sensor(minimum_interval_seconds=60, description="Adds a partition per active tenant, removes suspended ones.")
def tenant_discovery(context: dg.SensorEvaluationContext, graph_store: GraphStore) -> dg.SensorResult | dg.SkipReason:
    known = set(context.instance.get_dynamic_partitions(TENANTS))
    tenants = graph_store.tenants()
    active = {t.slug for t in tenants if t.status in ACTIVE}
    new, gone = sorted(active - known), sorted(known - active)
    if not new and not gone:
        return dg.SkipReason(f"{len(known)} tenant partitions, none new or deactivated")
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if new:
        requests.append(tenant_partitions.build_add_request(new))
    if gone:
        requests.append(tenant_partitions.build_delete_request(gone))
    return dg.SensorResult(dynamic_partitions_requests=requests)


@dg.sensor(job=jobs.tenant_ingest, minimum_interval_seconds=30,
           description="A new, changed or removed object under a tenant prefix runs that tenant's partition only.")
def new_objects(context: dg.SensorEvaluationContext, object_store: ObjectStore) -> dg.SensorResult | dg.SkipReason:
    tenants = sorted(context.instance.get_dynamic_partitions(TENANTS))
    if not tenants:
        return dg.SkipReason("no tenant partitions yet")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    for slug in tenants:
        listing = object_store.list(f"{slug}/")
        digest = hashlib.sha256(json.dumps(sorted((k, e) for k, e, _, _ in listing)).encode()).hexdigest()[:16]
        if seen.get(slug) != digest:
            requests.append(dg.RunRequest(run_key=f"{slug}|{digest}", partition_key=slug,
                                          tags={"glyph/tenant": slug, "glyph/trigger": "new_objects"}))
            seen[slug] = digest
    if not requests:
        return dg.SkipReason(f"no object changes under {len(tenants)} tenant prefixes")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen))


@dg.sensor(job=jobs.publish_events, minimum_interval_seconds=30,
           description="Pending outbox rows trigger the Kafka publisher.")
def outbox_pending(context: dg.SensorEvaluationContext, graph_store: GraphStore) -> dg.RunRequest | dg.SkipReason:
    from glyph_io.sql import load_sql

    with graph_store.app_connection() as conn:
        rows = conn.execute(load_sql("pending_outbox")).fetchall()
    total = sum(int(n) for _, n in rows)
    if total == 0:
        return dg.SkipReason("outbox empty")
    # one run per distinct backlog; a still-running publisher is not doubled because the key repeats
    key = hashlib.sha256(json.dumps(sorted((str(t), int(n)) for t, n in rows)).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=f"outbox|{key}", tags={"glyph/pending": str(total)})


ALL = [tenant_discovery, new_objects, outbox_pending]
