"""2,000 tenants: partitions registered in a Dagster instance, a discovery tick over them, timings reported.

No timing assertions (benchmarks measure speed); the test proves the tick is correct at that scale and prints the
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
from pipelines.sensors import tenant_discovery

defs = definitions()

N = 2000


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


def test_discovery_tick_over_2000_tenants(env: dict[str, str], resources: dict[str, Any], migrated: None) -> None:
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
            print(f"\n2,000 tenants: first discovery tick {first_tick * 1000:.0f} ms, steady tick "
                  f"{steady_tick * 1000:.0f} ms, partition key listing {listing * 1000:.0f} ms, partitions page "
                  f"GraphQL query {page * 1000:.0f} ms")
    finally:
        with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
            # deleting a tenant needs that tenant's context (no policy lets anyone delete across tenants)
            conn.execute("""DO $$ DECLARE t uuid; BEGIN
                FOR t IN SELECT id FROM tenants WHERE slug LIKE 'scale-%' LOOP
                    PERFORM set_config('app.tenant_id', t::text, true);
                    DELETE FROM tenants WHERE id = t;
                END LOOP; END $$""")
