"""10,000 tenants (the contract's target): partitions registered in a Dagster instance; a discovery tick, a
notification tick with 1 % of the tenants changing, a reconciliation tick, the partitions page's GraphQL query and
the metrics statement over them, each timed and reported.

No timing assertions (benchmarks measure speed); the test proves each tick is correct at that scale and prints the
figures that the README reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg

from assets.partitions import TENANTS
from glyph_tools.runner import definitions
from pipelines.sensors import object_events_sensor, object_sweep_sensor, tenant_discovery
from tests.pipelines.test_sensor_runs import drain, resolved

defs = definitions()

N = 10_000
CHANGING = N // 100  # tenants with an upload during one notification tick


PARTITIONS_PAGE = """
query PartitionsPage($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      partitionKeysByDimension { name partitionKeys }
      assetPartitionStatuses {
        __typename
        ... on DefaultPartitionStatuses { materializedPartitions failedPartitions unmaterializedPartitions }
      }
    }
  }
}
"""


def _partitions_page_query_seconds(instance: dg.DagsterInstance) -> float:
    """What the UI's partitions page asks for one tenant-partitioned asset, through Dagster's GraphQL schema."""
    from dagster_graphql.test.utils import (
        define_out_of_process_context,
        execute_dagster_graphql,
    )

    definitions = str(Path(__file__).resolve().parents[2] / "pipelines" / "definitions.py")
    with define_out_of_process_context(definitions, "defs", instance) as context:
        started = time.perf_counter()
        result = execute_dagster_graphql(context, PARTITIONS_PAGE, {"key": {"path": ["source_documents"]}})
        seconds = time.perf_counter() - started
    keys = result.data["assetNodeOrError"]["partitionKeysByDimension"][0]["partitionKeys"]
    assert len([k for k in keys if k.startswith("scale-")]) == N
    statuses = result.data["assetNodeOrError"]["assetPartitionStatuses"]
    assert len(statuses["unmaterializedPartitions"]) >= N
    return seconds


def _notification_tick(instance: dg.DagsterInstance) -> tuple[int, float]:
    """1 % of the tenants receive an object; one tick of object_events requests exactly their runs."""
    from glyph_io.settings import settings

    store = resolved("object_store")
    store.ensure_bucket()
    cursor = drain(instance)
    changing = [f"scale-{i:05d}" for i in range(1, N + 1, N // CHANGING)]
    for slug in changing:
        store.put(f"{slug}/new.md", b"# New\n\nOne new document.\n", "text/markdown")
    sensor = object_events_sensor(settings().s3_events_topic)
    requested: set[str] = set()
    elapsed = 0.0
    deadline = time.monotonic() + 30
    while requested != set(changing) and time.monotonic() < deadline:
        started = time.perf_counter()
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources={
                "event_bus": resolved("event_bus"), "object_store": store}) as ctx:
            result = sensor(ctx)
        elapsed = max(elapsed, time.perf_counter() - started)
        if isinstance(result, dg.SensorResult):
            cursor = result.cursor or cursor
            requested |= {r.partition_key or "" for r in result.run_requests}
    assert requested == set(changing)
    for slug in changing:
        store.remove(f"{slug}/new.md")
    return len(changing), elapsed


def _sweep_tick(instance: dg.DagsterInstance) -> tuple[int, float]:
    """One reconciliation tick: 200 prefixes listed and compared with the database, whatever the tenant count."""
    sensor = object_sweep_sensor(200, 60)
    started = time.perf_counter()
    with dg.build_sensor_context(instance=instance, resources={
            "object_store": resolved("object_store"), "graph_store": resolved("graph_store")}) as ctx:
        result = sensor(ctx)
    seconds = time.perf_counter() - started
    assert isinstance(result, dg.SensorResult) and result.cursor == '{"next": 200}'
    return 200, seconds


def test_ticks_over_10000_tenants(env: dict[str, str], resources: dict[str, Any], migrated: None) -> None:
    with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("DELETE FROM tenants WHERE slug LIKE 'scale-%%'")
        conn.execute("INSERT INTO tenants (slug, name) SELECT 'scale-' || lpad(i::text, 5, '0'), 'Scale ' || i "
                     "FROM generate_series(1, %s) i", (N,))
    try:
        with dg.instance_for_test() as instance:
            started = time.perf_counter()
            with dg.build_sensor_context(instance=instance,
                                         resources={"graph_store": resources["graph_store"]}) as ctx:
                first = tenant_discovery(ctx)
            first_tick = time.perf_counter() - started
            assert isinstance(first, dg.SensorResult)
            added = [k for r in first.dynamic_partitions_requests for k in r.partition_keys]
            assert sum(k.startswith("scale-") for k in added) == N
            instance.add_dynamic_partitions(TENANTS, added)
            started = time.perf_counter()
            with dg.build_sensor_context(instance=instance,
                                         resources={"graph_store": resources["graph_store"]}) as ctx:
                second = tenant_discovery(ctx)
            steady_tick = time.perf_counter() - started
            assert isinstance(second, dg.SkipReason)
            started = time.perf_counter()
            graph = defs.resolve_asset_graph()
            keys = graph.get(dg.AssetKey("source_documents")).partitions_def.get_partition_keys(
                dynamic_partitions_store=instance)
            listing = time.perf_counter() - started
            assert len([k for k in keys if k.startswith("scale-")]) == N
            page = _partitions_page_query_seconds(instance)
            notified, notified_s = _notification_tick(instance)
            swept, sweep_s = _sweep_tick(instance)
            started = time.perf_counter()
            figures = resources["graph_store"].outbox.metrics()
            metrics_s = time.perf_counter() - started
            assert sum(f.slug.startswith("scale-") for f in figures) == N
            print(f"\n{N:,} tenants: first discovery tick {first_tick * 1000:.0f} ms, steady tick "
                  f"{steady_tick * 1000:.0f} ms, partition key listing {listing * 1000:.0f} ms, partitions page "
                  f"GraphQL query {page * 1000:.0f} ms, notification tick ({notified} tenants changed) "
                  f"{notified_s * 1000:.0f} ms, reconciliation tick ({swept} prefixes) {sweep_s * 1000:.0f} ms, "
                  f"metrics {metrics_s * 1000:.0f} ms")
    finally:
        with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
            # deleting a tenant needs that tenant's context (no policy lets anyone delete across tenants)
            conn.execute("""DO $$ DECLARE t uuid; BEGIN
                FOR t IN SELECT id FROM tenants WHERE slug LIKE 'scale-%' LOOP
                    PERFORM set_config('app.tenant_id', t::text, true);
                    DELETE FROM tenants WHERE id = t;
                END LOOP; END $$""")
