"""Sensors: tenants appear/disappear as partitions; changed objects run their tenant only; the outbox drains.

Each tick is a decision tested on its own (tests/pipelines/test_sensors_and_schedules.py); skips always say why.
"""

from __future__ import annotations

import hashlib
import json
import time

import dagster as dg

from assets.partitions import TENANT_TAG, TENANTS, tenant_partitions
from glyph_core.liveness import STALE_AFTER_S, RunBeat, stale_runs
from glyph_io.graph_store import GraphStore
from glyph_io.object_store import ObjectStore
from glyph_io.settings import Settings
from pipelines import jobs

ACTIVE_RUN = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED]


@dg.sensor(minimum_interval_seconds=60, description="Adds a partition per active tenant, removes suspended ones.")
def tenant_discovery(context: dg.SensorEvaluationContext, graph_store: GraphStore) -> dg.SensorResult | dg.SkipReason:
    known = set(context.instance.get_dynamic_partitions(TENANTS))
    active = {t.slug for t in graph_store.tenants.active()}
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
        digest = hashlib.sha256(json.dumps(sorted((o.key, o.etag) for o in listing)).encode()).hexdigest()[:16]
        if seen.get(slug) != digest:
            requests.append(dg.RunRequest(run_key=f"{slug}|{digest}", partition_key=slug,
                                          tags={TENANT_TAG: slug, "glyph/trigger": "new_objects"}))
            seen[slug] = digest
    if not requests:
        return dg.SkipReason(f"no object changes under {len(tenants)} tenant prefixes")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen))


@dg.sensor(job=jobs.publish_events, minimum_interval_seconds=30,
           description="Pending outbox events trigger the Kafka publisher (whatever the backlog's shape).")
def outbox_pending(context: dg.SensorEvaluationContext, graph_store: GraphStore) -> dg.SensorResult | dg.SkipReason:
    """Any pending event requests a run unless a publisher is already queued or running. The run key is the newest
    pending sequence number plus an attempt counter kept in the cursor, so a backlog that repeats the shape (or the
    very events) of an earlier one - e.g. after a broker outage - is never skipped as an already-seen key."""
    backlog = graph_store.outbox.backlog()
    if not backlog:
        return dg.SkipReason("outbox empty")
    active = context.instance.get_run_records(dg.RunsFilter(job_name=jobs.publish_events.name, statuses=ACTIVE_RUN),
                                              limit=1)
    if active:
        return dg.SkipReason(f"a publish run is already {active[0].dagster_run.status.value.lower()}")
    top = max(b.max_seq for b in backlog)
    last = json.loads(context.cursor) if context.cursor else {"top": 0, "attempt": 0}
    attempt = last["attempt"] + 1 if last["top"] == top else 0
    pending = sum(b.pending for b in backlog)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"outbox|{top}|{attempt}", tags={"glyph/pending": str(pending)})],
        cursor=json.dumps({"top": top, "attempt": attempt}))


IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def reap_stale_runs(instance: dg.DagsterInstance, stale_after_s: float = STALE_AFTER_S) -> list[str]:
    """Mark failed every in-progress run whose heartbeat stopped (its process died); returns their ids.

    Without this, a `glyph run` killed with SIGKILL, or a run worker that died with its code server, stays STARTED
    for ever: it keeps its slot in the run queue and its tenant's one-run limit, and queued runs wait behind it.
    """
    runs = [RunBeat(r.dagster_run.run_id, r.dagster_run.status.value, r.dagster_run.tags)
            for r in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS))]
    reaped = []
    for run_id, silent in stale_runs(runs, time.time(), stale_after_s):
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status in IN_PROGRESS:
            instance.report_run_failed(run, f"no heartbeat for {silent:.0f} s: the process running it died "
                                            "(killed or lost); marked failed so the queue moves on")
            reaped.append(run_id)
    return reaped


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Marks failed the runs whose process died (heartbeat stopped), so the queue never wedges.")
def dead_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    from glyph_io.settings import settings

    reaped = reap_stale_runs(context.instance, settings().run_stale_after_s)
    return dg.SkipReason(f"marked failed: {', '.join(reaped)}" if reaped else "every in-progress run is alive")


def build(settings: Settings) -> list[dg.SensorDefinition]:
    return [tenant_discovery, new_objects, outbox_pending, dead_runs]
