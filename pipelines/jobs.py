"""Asset jobs by selection: one per partitioning (a job's assets share one partitions definition).

Every job runs its steps in one process (in_process_executor): steps are sequential anyway, and a process per
step costs about 2 s of Python start-up each.
"""

from __future__ import annotations

import dagster as dg

TENANT_STAGES = ["source_documents", "chunks", "embeddings", "knowledge_graph", "entity_graph", "tenant_events"]

tenant_ingest = dg.define_asset_job(
    "tenant_ingest", selection=TENANT_STAGES, executor_def=dg.in_process_executor,
    description="One tenant: new/changed objects -> parsed documents -> chunks -> embeddings (+ mentions) -> "
                "document graph -> entity graph -> events.")
glyph_days = dg.define_asset_job(
    "glyph_days", selection=["glyph_projections"], executor_def=dg.in_process_executor,
    description="4D glyphs for a day, for every active tenant or those in the glyph/tenants tag.")
index_maintenance = dg.define_asset_job(
    "index_maintenance", selection=["vector_index"], executor_def=dg.in_process_executor,
    description="Build or rebuild the vector indexes (HNSW; IVFFlat on large tables) when needed; check recall.")
publish_events = dg.define_asset_job(
    "publish_events", selection=["change_events"], executor_def=dg.in_process_executor,
    description="Send every tenant's pending outbox events to Kafka.")
retention = dg.define_asset_job(
    "retention", selection=["history_retention"], executor_def=dg.in_process_executor,
    description="Prune delivered events and audit rows past their retention.")

ALL = [tenant_ingest, glyph_days, index_maintenance, publish_events, retention]
