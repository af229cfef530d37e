"""source_documents: the tenant's objects in S3, parsed; new and changed objects only; deletions recorded.

Input: objects under `<tenant slug>/` in the bucket. Output: `files` rows (text, hash, etag) and, for objects that
cannot be used, `ingest_quarantine` rows with a reason. Partitioned by tenant; backfill = re-run the partitions.
An unchanged object (same ETag) is never downloaded again. The model starts loading here, in the background, so
its import overlaps with listing and parsing.
"""

import logging
from collections import Counter

import dagster as dg

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.batching import batched
from glyph_core.ingest import plan_ingest, read_batch
from glyph_core.parsing import ParseLimits
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed
from glyph_io.object_store import ObjectStore
from glyph_io.pdf_sandbox import sandboxed_pdf

COMMIT_EVERY = 50  # documents per transaction: a failure loses at most one batch of work, never half a document


@dg.asset(partitions_def=tenant_partitions, retry_policy=TRANSIENT_RETRY, group_name="ingest", kinds={"s3", "postgres"},
          tags={"glyph/stage": "ingest"})
@retry_transient
def source_documents(context: dg.AssetExecutionContext, graph_store: GraphStore, object_store: ObjectStore,
                     embedder: Embedder) -> Materialized:
    """Parsed source documents of one tenant (files table), with quarantined objects and their reasons."""
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        prefix, limits, reasons = f"{tenant.slug}/", ParseLimits(), Counter[str]()
        with graph_store.tenant_lock(tenant.id):
            object_store.ensure_bucket()
            plan = plan_ingest(object_store.list(prefix), graph_store.documents.known(tenant.id))
            if plan.todo:
                embedder.prepare()  # new text is coming: load the model while it is fetched and parsed
            for batch in batched(plan.todo, COMMIT_EVERY):
                files, refused = read_batch(batch, prefix, limits, object_store.fetch_many, sandboxed_pdf)
                refused += [why for _, why in graph_store.documents.write(tenant.id, files, refused,
                                                                          context.run.run_id)]
                for why in refused:
                    reasons[why.reason_code] += 1
                    log_event(context, f"quarantined {why.object_key}: {why.reason_code}: {why.reason}",
                              tenant=tenant.slug, level=logging.WARNING)
            removed = graph_store.documents.mark_deleted(tenant.id, list(plan.removed))
    quarantined = sum(reasons.values())
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug, "objects_listed": len(plan.todo) + plan.unchanged,
        "objects_new_or_changed": len(plan.todo), "objects_unchanged_skipped": plan.unchanged,
        "documents_parsed": len(plan.todo) - quarantined, "documents_quarantined": quarantined,
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons)), "objects_removed": removed,
        "duration_s": clock.seconds})
