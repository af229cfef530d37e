"""Sensors and schedules tick by tick, with the real GraphStore behind them; every tick's cursor feeds the next."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import dagster as dg

from assets.partitions import TENANTS
from glyph_io.settings import Settings
from pipelines import schedules
from pipelines.sensors import outbox_pending, tenant_discovery
from tests.helpers import in_tenant

SCHEDULES = {s.name: s for s in schedules.build(Settings())}


def test_tenant_discovery_adds_only_unknown_active_tenants(make_tenant: Any, resources: dict[str, Any]) -> None:
    _, slug_a = make_tenant("disc")
    _, slug_b = make_tenant("disc")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(TENANTS, [slug_a])
        with dg.build_sensor_context(instance=instance, resources={"graph_store": resources["graph_store"]}) as ctx:
            result = tenant_discovery(ctx)
        assert isinstance(result, dg.SensorResult)
        added = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.AddDynamicPartitionsRequest)]
        assert slug_b in added[0].partition_keys and slug_a not in added[0].partition_keys


def test_tenant_discovery_removes_suspended_tenants(make_tenant: Any, resources: dict[str, Any], owner_conn: Any) -> None:
    tenant_id, slug = make_tenant("susp")
    owner_conn.execute("UPDATE tenants SET status = 'suspended' WHERE id = %s", (tenant_id,))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(TENANTS, [slug])
        with dg.build_sensor_context(instance=instance, resources={"graph_store": resources["graph_store"]}) as ctx:
            result = tenant_discovery(ctx)
        removed = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
        assert removed and removed[0].partition_keys == [slug]


def _tick(instance: dg.DagsterInstance, store: Any, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"graph_store": store}) as ctx:
        return outbox_pending(ctx)


def _add_event(store: Any, tenant_id: str, name: str) -> None:
    with store.db.tenant(tenant_id) as conn:
        conn.execute("INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'concept', %s)", (tenant_id, name))


def _publish_all(store: Any, tenant_id: str) -> None:
    with store.db.tenant(tenant_id) as conn:
        conn.execute("UPDATE change_outbox SET published_at = now() WHERE tenant_id = %s", (tenant_id,))


def test_outbox_sensor_requests_a_run_for_every_backlog_even_one_shaped_like_an_earlier_one(
        make_tenant: Any, resources: dict[str, Any]) -> None:
    """Run keys come from the newest pending sequence number (and an attempt counter), never from the backlog's
    shape: one pending event, published, then another single pending event (same tenant, same count) must still
    trigger a run; so must the same backlog again after a failed publish (broker down)."""
    tenant_id, _ = make_tenant("outbox")
    store = resources["graph_store"]
    with dg.instance_for_test() as instance:
        _add_event(store, tenant_id, "first")
        first = _tick(instance, store, None)
        assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
        assert int(first.run_requests[0].tags["glyph/pending"]) >= 1
        _publish_all(store, tenant_id)
        idle = _tick(instance, store, first.cursor)
        # other tests' tenants may have pending events; ours are gone in any case
        assert in_tenant(tenant_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0
        cursor = first.cursor if isinstance(idle, dg.SkipReason) else idle.cursor

        _add_event(store, tenant_id, "second")  # the same shape as before: one tenant, one event
        second = _tick(instance, store, cursor)
        assert isinstance(second, dg.SensorResult), second
        assert second.run_requests[0].run_key != first.run_requests[0].run_key
        # the publish run failed (events still pending): the next tick asks again, with a new key
        third = _tick(instance, store, second.cursor)
        assert isinstance(third, dg.SensorResult)
        assert third.run_requests[0].run_key != second.run_requests[0].run_key
        _publish_all(store, tenant_id)


def test_outbox_sensor_waits_while_a_publish_run_is_in_progress(make_tenant: Any, resources: dict[str, Any]) -> None:
    tenant_id, _ = make_tenant("outboxq")
    store = resources["graph_store"]
    with dg.instance_for_test() as instance:
        _add_event(store, tenant_id, "pending")
        from glyph_tools.runner import definitions

        instance.create_run_for_job(definitions().resolve_job_def("publish_events"), status=dg.DagsterRunStatus.STARTED)
        skipped = _tick(instance, store, None)
        assert isinstance(skipped, dg.SkipReason) and "already started" in (skipped.skip_message or "")
        _publish_all(store, tenant_id)


def test_ingest_schedule_fans_out_one_run_per_tenant_partition() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme", "globex"])
        ctx = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 25, 12, 15, tzinfo=timezone.utc))
        requests = list(SCHEDULES["ingest_every_tenant"](ctx))
    assert sorted(r.partition_key for r in requests) == ["acme", "globex"]
    assert {r.run_key for r in requests} == {"acme|20261125T1215", "globex|20261125T1215"}
    assert {r.tags["glyph/tenant"] for r in requests} == {"acme", "globex"}


def test_ingest_schedule_skips_with_a_reason_without_tenants() -> None:
    with dg.instance_for_test() as instance:
        ctx = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 25, tzinfo=timezone.utc))
        result = SCHEDULES["ingest_every_tenant"](ctx)
        assert isinstance(result, dg.SkipReason) and "no tenant partitions" in (result.skip_message or "")


def test_glyph_schedule_asks_for_yesterdays_window() -> None:
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 25, 0, 15, tzinfo=timezone.utc))
    request = SCHEDULES["glyphs_daily"](ctx)
    assert request.partition_key == "2026-11-24" and request.run_key == "2026-11-24"


def test_crons_come_from_the_settings() -> None:
    built = {s.name: s for s in schedules.build(Settings(ingest_cron="*/5 * * * *", retention_cron="0 4 * * *"))}
    assert built["ingest_every_tenant"].cron_schedule == "*/5 * * * *"
    assert built["retention_daily"].cron_schedule == "0 4 * * *"
    assert built["index_nightly"].cron_schedule == Settings().index_cron
