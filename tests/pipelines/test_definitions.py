"""The code location loads and exposes exactly the assets, checks, jobs, schedules and sensors we document."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs

ASSETS = {"source_documents", "chunks", "embeddings", "knowledge_graph", "vector_index", "glyph_projections",
          "change_events"}


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
    assert parents["glyph_projections"] == {"knowledge_graph"}
    assert parents["change_events"] == {"knowledge_graph", "glyph_projections"}


def test_checks_jobs_schedules_sensors_are_registered() -> None:
    checks = {k.name for k in defs.resolve_asset_graph().asset_check_keys}
    assert {"no_dangling_edges", "recall_at_10"} <= checks
    assert {j for j in ("tenant_ingest", "glyph_days", "index_maintenance", "publish_events")
            if defs.resolve_job_def(j)} == {"tenant_ingest", "glyph_days", "index_maintenance", "publish_events"}
    assert {s.name for s in defs.schedules or []} == {"ingest_every_tenant", "index_nightly", "glyphs_daily"}
    assert {s.name for s in defs.sensors or []} == {"tenant_discovery", "new_objects", "outbox_pending"}


def test_partitions_stay_within_dagsters_limits_at_10000_tenants() -> None:
    graph = defs.resolve_asset_graph()
    glyph = graph.get(dg.AssetKey("glyph_projections")).partitions_def
    tenant = graph.get(dg.AssetKey("source_documents")).partitions_def
    assert isinstance(glyph, dg.DailyPartitionsDefinition)
    assert isinstance(tenant, dg.DynamicPartitionsDefinition)
    # 10,000 tenants -> 10,000 keys for tenant stages; two years -> ~730 keys for glyphs; never the product
    assert 10_000 + 2 * 366 < 100_000
