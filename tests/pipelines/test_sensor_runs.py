"""An upload under one tenant's prefix -> SeaweedFS publishes a notification to Kafka -> the `object_events` sensor
requests a run for that tenant only -> the run executes against the real services; the `object_sweep` sensor finds
what notifications missed, a bounded slice of tenants per tick. No prefix is listed by the notification path.
"""

from __future__ import annotations

import json
import time
from typing import Any

import dagster as dg
import pytest

from pipelines.sensors import object_events_sensor, object_sweep_sensor
from tests.pipelines.conftest import tenant_scalar

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(300)]


def resolved(name: str) -> Any:
    from glyph_io.settings import settings
    from pipelines.resources import resources

    return resources(settings(), resolved=True)[name]


def events_tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    from glyph_io.settings import settings

    sensor = object_events_sensor(settings().s3_events_topic)
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={
        "event_bus": resolved("event_bus"), "object_store": resolved("object_store")})
    return sensor(context)  # type: ignore[no-any-return]


def sweep_tick(instance: dg.DagsterInstance, cursor: str | None, per_tick: int) -> dg.SensorResult:
    sensor = object_sweep_sensor(per_tick, 60)
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={
            "object_store": resolved("object_store"), "graph_store": resolved("graph_store")}) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def idle(result: dg.SensorResult | dg.SkipReason) -> bool:
    """The tick read nothing new (it may still have moved its cursor, e.g. onto a replaced log)."""
    reason = result if isinstance(result, dg.SkipReason) else result.skip_reason
    return reason is not None and "no object notifications" in (reason.skip_message or "")


def drain(instance: dg.DagsterInstance) -> str:
    """Read the topic up to its end (earlier tests' uploads); the cursor after it."""
    cursor = None
    for _ in range(100):
        result = events_tick(instance, cursor)
        cursor = result.cursor if isinstance(result, dg.SensorResult) else cursor
        if idle(result):
            return cursor or "{}"
    raise AssertionError("the notification topic never ended")


def test_an_upload_notifies_its_tenant_only_and_the_run_ingests_it(make_ui_tenant: Any,
                                                                   pg_instance: dg.DagsterInstance,
                                                                   env: dict[str, str]) -> None:
    from glyph_tools.runner import definitions

    tenant, other = make_ui_tenant("sena"), make_ui_tenant("senb")
    time.sleep(1)  # let the filer publish the fixtures' uploads before the drain
    cursor = drain(pg_instance)
    nothing = events_tick(pg_instance, cursor)
    assert idle(nothing)
    # a replaced log (a broker that lost its data): the record before the cursor's offset is not the one it read
    replaced = json.dumps({p: [at[0], at[1] + 1] for p, at in json.loads(cursor).items()})
    assert not idle(events_tick(pg_instance, replaced)), "a replaced log must be read again from its start"

    uploaded = time.monotonic()
    resolved("object_store").put(f"{tenant.slug}/notes/new-report.md",
                                 b"# Report\n\nA new object arrived for this tenant.\n", "text/markdown")
    result: dg.SensorResult | dg.SkipReason = nothing
    while not (isinstance(result, dg.SensorResult) and result.run_requests) and time.monotonic() - uploaded < 20:
        result = events_tick(pg_instance, cursor)
    assert isinstance(result, dg.SensorResult) and result.run_requests, "no notification within 20 s of the upload"
    print(f"upload -> run request: {time.monotonic() - uploaded:.2f} s")
    assert [r.partition_key for r in result.run_requests] == [tenant.slug]
    request = result.run_requests[0]
    assert request.tags["glyph/tenant"] == tenant.slug and request.tags["glyph/trigger"] == "object_events"
    assert idle(events_tick(pg_instance, result.cursor))  # the cursor moved past it

    run = definitions().get_job_def("tenant_ingest").execute_in_process(
        instance=pg_instance, partition_key=request.partition_key,
        tags={**request.tags, "dagster/sensor_name": "object_events"}, raise_on_error=False)
    assert run.success, [e.message for e in run.all_events if e.is_failure]
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE deleted_at IS NULL") == 4
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL") > 0
    assert tenant_scalar(env, other.id, "SELECT count(*) FROM files") == 0  # the other tenant was not run

    # the sweep: the ingested tenant is clean, the other one (never run) is found; slices rotate through the tenants
    every = sorted(pg_instance.get_dynamic_partitions("tenants"))
    full = sweep_tick(pg_instance, None, per_tick=len(every))
    found = {r.partition_key for r in full.run_requests}
    assert other.slug in found and tenant.slug not in found
    assert all(r.tags["glyph/trigger"] == "object_sweep" for r in full.run_requests)
    first = sweep_tick(pg_instance, None, per_tick=1)
    second = sweep_tick(pg_instance, first.cursor, per_tick=1)
    assert [first.cursor, second.cursor] == ['{"next": 1}', '{"next": 2}']
