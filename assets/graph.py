"""knowledge_graph: tenant-scoped nodes and edges in nodes_v2/edges_v2, written in bulk per batch of documents.

Per batch, in one transaction with the tenant context set, as glyph_app: document, chunk and concept (tag) nodes;
contains / next / tagged_with edges; `similar_to` edges from an exact nearest-neighbour search in memory
(glyph_core.similarity; tenants over IN_MEMORY_MAX chunks use the vector indexes in SQL instead). Objects that
disappeared soft-delete their nodes and drop their edges. Unchanged rows are not rewritten, so a re-run emits no
change events (the outbox triggers only see real changes).
"""

import dagster as dg
import numpy as np

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.batching import batched
from glyph_core.graph import build_batch
from glyph_core.similarity import similar_edges
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed

DOCS_PER_TX = 50
IN_MEMORY_MAX = 200_000  # chunk vectors (300 MB of float32) searched exactly in memory; above: HNSW in SQL
NO_DANGLING_EDGES = "no_dangling_edges"


class GraphConfig(dg.Config):
    similarity_k: int = 5
    similarity_threshold: float = 0.6


@dg.asset(partitions_def=tenant_partitions, deps=["embeddings"], retry_policy=TRANSIENT_RETRY, group_name="graph",
          kinds={"postgres", "numpy"}, tags={"glyph/stage": "graph"},
          check_specs=[dg.AssetCheckSpec(NO_DANGLING_EDGES, asset="knowledge_graph",
                                         description="no live edge points at a deleted node")])
@retry_transient
def knowledge_graph(context: dg.AssetExecutionContext, config: GraphConfig, graph_store: GraphStore,
                    embedder: Embedder) -> Materialized:
    """The tenant's knowledge graph: document, chunk and concept nodes with structural and similarity edges."""
    k, threshold, model = config.similarity_k, config.similarity_threshold, embedder.model_key
    totals: dict[str, int] = {}
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        store = graph_store.graph
        with graph_store.tenant_lock(tenant.id):
            removed = store.remove_deleted(tenant.id)
            todo = store.files_to_graph(tenant.id)
            in_memory = bool(todo) and store.chunk_count(tenant.id) <= IN_MEMORY_MAX
            pool = store.chunk_pool(tenant.id, [d.storage_path for d in todo]) if in_memory else None
            for done, docs in enumerate(batched(todo, DOCS_PER_TX), 1):
                batch = build_batch(docs, store.chunks_of(tenant.id, model, [d.id for d in docs]))
                similar = []
                if pool is not None:
                    chunk_nodes = batch.chunk_nodes()
                    keys, sources = [n.external_key for n in chunk_nodes], [str(n.source_key) for n in chunk_nodes]
                    vectors = np.stack([n.vector for n in chunk_nodes if n.vector is not None]) \
                        if chunk_nodes else np.zeros((0, 384), dtype=np.float32)
                    pool.add(keys, sources, vectors)
                    similar = similar_edges(keys, sources, vectors, pool, k, threshold)
                touched = store.write(tenant.id, model, batch, similar, [d.id for d in docs],
                                      [d.storage_path for d in docs if d.graphed_before],
                                      sql_knn=None if pool is not None else (k, threshold))
                totals = {key: totals.get(key, 0) + n for key, n in touched.items()}
                log_event(context, f"graphed {min(done * DOCS_PER_TX, len(todo))}/{len(todo)} documents",
                          tenant=tenant.slug)
            counts = store.counts(tenant.id)
    return dg.MaterializeResult(
        metadata={"tenant": tenant.slug, "documents_written": len(todo), "nodes_removed": removed,
                  "similarity_search": "exact, in memory" if in_memory else "hnsw (sql)", **totals,
                  "live_nodes": counts.live_nodes, "live_edges": counts.live_edges, "similarity_k": k,
                  "similarity_threshold": threshold, "duration_s": clock.seconds},
        check_results=[dg.AssetCheckResult(check_name=NO_DANGLING_EDGES, passed=counts.dangling_edges == 0,
                                           metadata={"dangling_edges": counts.dangling_edges})])
