"""The code location loads and exposes exactly the assets, checks, jobs, schedules and sensors we document."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from glyph_tools.runner import definitions

defs = definitions()

ASSETS = {"source_documents", "chunks", "embeddings", "knowledge_graph", "entity_graph", "tenant_events", "vector_index",
          "glyph_projections", "change_events", "history_retention"}


def test_asset_keys_snapshot() -> None:
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == ASSETS


def test_lineage_follows_the_stages() -> None:
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys}
               for k in graph.get_all_asset_keys()}
    assert parents["chunks"] == {"source_documents"}
    assert parents["embeddings"] == {"chunks"}
    assert parents["knowledge_graph"] == {"embeddings"}
    assert parents["entity_graph"] == {"knowledge_graph"}
    assert parents["tenant_events"] == {"entity_graph"}
    assert parents["glyph_projections"] == {"entity_graph"}
    assert parents["vector_index"] == {"entity_graph"}
    assert parents["change_events"] == {"entity_graph", "glyph_projections"}


def test_checks_jobs_schedules_sensors_are_registered() -> None:
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"no_dangling_edges", "recall_at_10", "outbox_healthy"} <= checks
    jobs = {"tenant_ingest", "glyph_days", "index_maintenance", "publish_events", "retention"}
    assert {j.name for j in defs.jobs or []} == jobs
    assert defs.resolve_job_def("tenant_ingest").executor_def.name == "in_process"
    assert {s.name for s in defs.schedules or []} == {"ingest_every_tenant", "index_nightly", "glyphs_daily",
                                                       "retention_daily"}
    assert {s.name for s in defs.sensors or []} == {"tenant_discovery", "object_events", "object_sweep", "outbox_pending", "dead_runs"}


def test_partition_keys_grow_with_tenants_or_days_never_their_product() -> None:
    graph = defs.resolve_asset_graph()
    tenant = graph.get(dg.AssetKey("source_documents")).partitions_def
    glyph = graph.get(dg.AssetKey("glyph_projections")).partitions_def
    assert isinstance(tenant, dg.DynamicPartitionsDefinition)  # one key per tenant, no time dimension
    assert isinstance(glyph, dg.DailyPartitionsDefinition)  # one key per day, every tenant inside
    two_years_on = datetime(2028, 1, 1, tzinfo=timezone.utc)
    days = glyph.get_partition_keys(current_time=two_years_on)
    assert 700 < len(days) <= 732
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(tenant.name or "", [f"t{i}" for i in range(10_000)])
        keys = tenant.get_partition_keys(dynamic_partitions_store=instance)
    assert len(keys) + len(days) < 100_000  # Dagster's advised ceiling per asset; tenant x day would be 7.3 M
