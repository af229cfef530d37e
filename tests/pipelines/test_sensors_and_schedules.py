"""Sensors and schedules tick by tick, with the real GraphStore/ObjectStore behind them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import dagster as dg

from assets.partitions import TENANTS
from pipelines.schedules import glyphs_daily, ingest_every_tenant
from pipelines.sensors import outbox_pending, tenant_discovery
from tests.helpers import in_tenant


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


def test_outbox_sensor_requests_a_publish_run_only_when_events_are_pending(make_tenant: Any,
                                                                         resources: dict[str, Any]) -> None:
    tenant_id, _ = make_tenant("outbox")
    store = resources["graph_store"]
    with store.tenant_tx(tenant_id) as conn:
        conn.execute("INSERT INTO nodes_v2 (tenant_id, kind, name) VALUES (%s, 'concept', 'pending event')", (tenant_id,))
    with dg.build_sensor_context(resources={"graph_store": store}) as ctx:
        request = outbox_pending(ctx)
    assert isinstance(request, dg.RunRequest) and int(request.tags["glyph/pending"]) >= 1
    with store.tenant_tx(tenant_id) as conn:
        conn.execute("UPDATE change_outbox SET published_at = now() WHERE tenant_id = %s", (tenant_id,))
    assert in_tenant(tenant_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0


def test_ingest_schedule_fans_out_one_run_per_tenant_partition() -> None:
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(TENANTS, ["acme", "globex"])
        ctx = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 25, 12, 15, tzinfo=timezone.utc))
        requests = list(ingest_every_tenant(ctx))
    assert sorted(r.partition_key for r in requests) == ["acme", "globex"]
    assert {r.run_key for r in requests} == {"acme|20261125T1215", "globex|20261125T1215"}


def test_ingest_schedule_skips_with_a_reason_without_tenants() -> None:
    with dg.instance_for_test() as instance:
        ctx = dg.build_schedule_context(instance=instance,
                                        scheduled_execution_time=datetime(2026, 11, 25, tzinfo=timezone.utc))
        assert isinstance(ingest_every_tenant(ctx), dg.SkipReason)


def test_glyph_schedule_asks_for_yesterdays_window() -> None:
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 25, 0, 15, tzinfo=timezone.utc))
    request = glyphs_daily(ctx)
    assert request.partition_key == "2026-11-24" and request.run_key == "2026-11-24"
