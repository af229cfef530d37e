"""Asset jobs by selection: one per partitioning (a job's assets share one partitions definition)."""

from __future__ import annotations

import dagster as dg

TENANT_STAGES = ["source_documents", "chunks", "embeddings", "knowledge_graph"]

tenant_ingest = dg.define_asset_job(
    "tenant_ingest", selection=TENANT_STAGES, executor_def=dg.in_process_executor,
    description="One tenant: new/changed objects -> parsed documents -> chunks -> embeddings -> graph.",
)
glyph_days = dg.define_asset_job(
    "glyph_days", selection=["glyph_projections"], executor_def=dg.in_process_executor,
    description="4D glyphs for a day, for every active tenant or those in the glyph/tenants tag.",
)
# Steps of a run are sequential anyway; one process per run saves ~2 s of Python start-up per step.
index_maintenance = dg.define_asset_job("index_maintenance", selection=["vector_index"], executor_def=dg.in_process_executor,
                                        description="Rebuild the HNSW index when enough rows changed; check recall.")
publish_events = dg.define_asset_job("publish_events", selection=["change_events"], executor_def=dg.in_process_executor,
                                     description="Send pending outbox events to Kafka.")

ALL = [tenant_ingest, glyph_days, index_maintenance, publish_events]
