"""Sensors: tenants appear/disappear as partitions; object notifications run their tenant only (a bounded
reconciliation sweep catches what notifications miss); the outbox drains; dead runs are reaped.

Each tick is a decision tested on its own (tests/pipelines/test_sensors_and_schedules.py); skips always say why.
"""

from __future__ import annotations

import json
import time

import dagster as dg

from assets.partitions import TENANT_TAG, TENANTS, tenant_partitions
from glyph_core.ingest import plan_ingest
from glyph_core.liveness import STALE_AFTER_S, RunBeat, stale_runs
from glyph_core.object_events import changed_tenants, sweep_slice
from glyph_io.event_bus import EventBus
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


QUEUED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


def _ingest_requests(instance: dg.DagsterInstance, slugs: set[str], key: str, trigger: str) -> list[dg.RunRequest]:
    """A run per tenant unless one is still queued for it (it lists the whole prefix when it starts, so it will see
    this change too): a burst of uploads becomes one run per tenant, not one per object."""
    requests = []
    for slug in sorted(slugs):
        waiting = instance.get_run_records(dg.RunsFilter(job_name=jobs.tenant_ingest.name, statuses=QUEUED,
                                                         tags={TENANT_TAG: slug}), limit=1)
        if not waiting:
            requests.append(dg.RunRequest(run_key=f"{slug}|{trigger}|{key}", partition_key=slug,
                                          tags={TENANT_TAG: slug, "glyph/trigger": trigger}))
    return requests


def object_events_sensor(topic: str) -> dg.SensorDefinition:
    @dg.sensor(name="object_events", job=jobs.tenant_ingest, minimum_interval_seconds=5,
               description=f"S3 object notifications on Kafka ({topic}) run the tenants they name, nothing else.")
    def object_events(context: dg.SensorEvaluationContext, event_bus: EventBus,
                      object_store: ObjectStore) -> dg.SensorResult | dg.SkipReason:
        """Reads the notification topic from the offsets in the cursor (durable: the cursor moves only with the
        run requests it produced). A notification for a tenant without a partition waits for tenant_discovery
        (the sweep catches it later); records about other buckets are skipped."""
        cursor = {int(p): (int(at[0]), int(at[1])) for p, at in json.loads(context.cursor or "{}").items()
                  if isinstance(at, list)}
        records, after = event_bus.read(topic, cursor)
        moved = json.dumps({str(p): list(at) for p, at in sorted(after.items())})
        if not records:
            return dg.SensorResult(skip_reason=dg.SkipReason(f"no object notifications on {topic}"), cursor=moved)
        known = set(context.instance.get_dynamic_partitions(TENANTS))
        changed = changed_tenants(records, object_store.bucket)
        requests = _ingest_requests(context.instance, changed & known, ".".join(f"{p}:{at[0]}" for p, at in
                                                                              sorted(after.items())), "object_events")
        if not requests:
            return dg.SensorResult(skip_reason=dg.SkipReason(
                f"{len(records)} notifications: {len(changed & known)} tenants, each with a run already queued"
                if changed & known else f"{len(records)} notifications, none for a known tenant's objects"),
                cursor=moved)
        return dg.SensorResult(run_requests=requests, cursor=moved)

    return object_events


def object_sweep_sensor(tenants_per_tick: int, interval_s: int) -> dg.SensorDefinition:
    @dg.sensor(name="object_sweep", job=jobs.tenant_ingest, minimum_interval_seconds=interval_s,
               description=f"Reconciliation: lists {tenants_per_tick} tenant prefixes per tick (in rotation) and "
                           "runs those whose objects differ from the database.")
    def object_sweep(context: dg.SensorEvaluationContext, object_store: ObjectStore,
                     graph_store: GraphStore) -> dg.SensorResult | dg.SkipReason:
        """The safety net behind notifications (and the whole mechanism with GLYPH_INGEST_TRIGGER=poll): a lost or
        never-sent notification is found within ceil(tenants / tenants_per_tick) ticks. The comparison is the ingest
        stage's own plan (new or changed ETag, removed key), so a tenant is run only when its run would do work."""
        tenants = sorted(context.instance.get_dynamic_partitions(TENANTS))
        start = int(json.loads(context.cursor or "{}").get("next", 0))
        sliced, following = sweep_slice(tenants, start, tenants_per_tick)
        ids = {t.slug: t.id for t in graph_store.tenants.active()}
        stale = {slug for slug in sliced if slug in ids
                 and plan_ingest(object_store.list(f"{slug}/"), graph_store.documents.known(ids[slug])).has_work}
        cursor = json.dumps({"next": following})
        requests = _ingest_requests(context.instance, stale, f"{start}.{time.time_ns()}", "object_sweep")
        if not requests:
            return dg.SensorResult(skip_reason=dg.SkipReason(
                f"swept {len(sliced)} of {len(tenants)} tenant prefixes: nothing to ingest"), cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return object_sweep


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


SWEEP_INTERVAL_S = 60  # with notifications the sweep is only the safety net
POLL_INTERVAL_S = 30  # GLYPH_INGEST_TRIGGER=poll: the sweep is how changes are found


def build(settings: Settings) -> list[dg.SensorDefinition]:
    notified = settings.ingest_trigger == "notifications"
    ingest = [object_events_sensor(settings.s3_events_topic)] if notified else []
    sweep = object_sweep_sensor(settings.reconcile_tenants_per_tick, SWEEP_INTERVAL_S if notified else POLL_INTERVAL_S)
    return [tenant_discovery, *ingest, sweep, outbox_pending, dead_runs]
