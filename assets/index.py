"""vector_index: keeps the vector indexes on nodes_v2.embedding_384 healthy, and measures the app query's recall.

pgvector's HNSW absorbs inserts incrementally; deletes and updates leave tombstones that slow scans and cost recall,
so the index is rebuilt (REINDEX CONCURRENTLY: readers and writers never block) once the share of rows changed
since the last build passes a threshold. From `ivf_min_rows` rows on, an IVFFlat index (lists = rows / 1000) joins
it: under RLS it serves mid-size tenants several times faster than HNSW, and the planner picks it by cost
(glyph_io/stores/indexes.py). Its lists are retrained when the table has grown or shrunk by a tenth. Without the
hnsw access method the IVFFlat index is the only one. Both serve every tenant: no index per tenant (they do not
scale to 10,000 tenants, and the app's RLS-only SQL cannot use a partial index). Runs as the owner role (DDL),
nightly and on demand.
"""

import dagster as dg

from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_io.graph_store import GraphStore
from glyph_io.logs import timed
from glyph_io.stores.indexes import IVF_INDEX, IvfSizing

RECALL_CHECK = "recall_at_10"


class IndexConfig(dg.Config):
    rebuild_changed_share: float = 0.2
    force_rebuild: bool = False
    ivf_min_rows: int = IvfSizing.min_rows


@dg.asset(deps=["entity_graph"], retry_policy=TRANSIENT_RETRY, group_name="graph", kinds={"pgvector"},
          tags={"glyph/stage": "index"})
@retry_transient
def vector_index(context: dg.AssetExecutionContext, config: IndexConfig, graph_store: GraphStore) -> Materialized:
    """The HNSW (and, on large tables, IVFFlat) cosine indexes over node embeddings: rebuilt concurrently when
    enough rows changed."""
    with timed() as clock:
        live, changed, recorded = graph_store.indexes.changes_since_build()
        share = changed / max(live, 1)
        report = graph_store.indexes.build(
            rebuild=config.force_rebuild or (recorded and share >= config.rebuild_changed_share),
            sizing=IvfSizing(min_rows=config.ivf_min_rows))
        dropped = graph_store.indexes.drop_tenant_indexes()
        status = graph_store.indexes.status()
        ivf = graph_store.indexes.status(IVF_INDEX)
    context.log.info(f"vector indexes: {report}; {changed} rows changed since last build ({share:.1%})")
    return dg.MaterializeResult(metadata={
        "action": str(report), "method": status.method if status else "none (exact search)",
        "index_bytes": dg.MetadataValue.int(status.bytes if status else 0), "live_rows": live,
        "ivfflat_lists": ivf.lists if ivf else 0, "ivfflat_bytes": dg.MetadataValue.int(ivf.bytes if ivf else 0),
        "changed_share_since_build": round(share, 4), "rebuild_threshold": config.rebuild_changed_share,
        "legacy_tenant_indexes_dropped": dropped, "duration_s": clock.seconds})


@dg.asset_check(asset=vector_index, name=RECALL_CHECK,
                description="recall@10 of the app's vector query against exact search, per sampled tenant, >= 0.95")
def recall_at_10(graph_store: GraphStore) -> dg.AssetCheckResult:
    per_tenant = {t.slug: graph_store.indexes.recall(t.id, probes=50) for t in graph_store.tenants.active()[:5]}
    measured = {slug: round(r, 4) for slug, r in per_tenant.items() if r is not None}
    worst = min(measured.values(), default=1.0)
    return dg.AssetCheckResult(passed=worst >= 0.95, metadata={
        "worst_tenant_recall": worst, "recall_per_tenant": dg.MetadataValue.json(measured)})
