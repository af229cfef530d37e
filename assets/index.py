"""vector_index: keeps the HNSW index on nodes_v2.embedding_384 healthy, and measures its recall.

pgvector's HNSW absorbs inserts incrementally; deletes and updates leave tombstones that slow scans and cost recall,
so the index is rebuilt (REINDEX CONCURRENTLY: readers and writers never block) once the share of rows changed
since the last build passes a threshold. Without the hnsw access method an IVFFlat index is built instead, and with
neither, queries fall back to exact search. Runs as the owner role (DDL), nightly and on demand.
"""


import time
from collections.abc import Callable

import dagster as dg
from psycopg import sql

from glyph_core.vector_index import index_name, plan_tenant_indexes
from glyph_io.resources import GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql

INDEX = "nodes_v2_emb384_hnsw_idx"
RECALL_CHECK = "recall_at_10"


class IndexConfig(dg.Config):  # type: ignore[misc]
    rebuild_changed_share: float = 0.2
    force_rebuild: bool = False
    tenant_index_min_rows: int = 2000
    tenant_index_max_share: float = 0.2


def maintain_tenant_indexes(graph_store: GraphStore, *, min_rows: int = 2000, max_share: float = 0.2,
                            log: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Create/drop per-tenant partial HNSW indexes so small tenants get a full, fast top-k (glyph_core.vector_index).

    Counts come from each tenant's own context (the owner is RLS-bound too); DDL runs as the owner, CONCURRENTLY.
    Queries must name the tenant (`WHERE tenant_id = $1`, as sql/queries/knn_search.sql does) for the planner to
    pick the partial index; RLS-only queries still use the shared index with iterative scan.
    """
    counts: dict[str, int] = {}
    for tenant in graph_store.tenants():
        with graph_store.tenant_tx(tenant.id) as conn:
            counts[tenant.id] = int(conn.execute(load_sql("count_tenant_vectors"), {"tenant_id": tenant.id}).fetchone()[0])
    with graph_store.owner_connection() as conn:
        existing = {name: valid for name, valid in conn.execute(load_sql("list_tenant_hnsw")).fetchall()}
        invalid = [name for name, valid in existing.items() if not valid]  # leftovers of interrupted builds
        create, drop = plan_tenant_indexes(counts, [n for n, v in existing.items() if v], min_rows=min_rows,
                                           max_share=max_share)
        for name in drop + invalid:
            conn.execute(sql.SQL(load_sql("drop_tenant_hnsw")).format(index=sql.Identifier(name)))
        for tenant_id in create:
            started = time.perf_counter()
            conn.execute(sql.SQL(load_sql("create_tenant_hnsw")).format(
                index=sql.Identifier(index_name(tenant_id)), tenant=sql.Literal(tenant_id)))
            log(f"partial HNSW index for tenant {tenant_id} ({counts[tenant_id]} rows) in "
                f"{time.perf_counter() - started:.1f} s")
    return {"tenant_indexes_created": len(create), "tenant_indexes_dropped": len(drop) + len(invalid),
            "tenant_indexes": len([n for n, v in existing.items() if v]) - len(drop) + len(create)}


@dg.asset(deps=["knowledge_graph"], retry_policy=TRANSIENT_RETRY, group_name="graph", kinds={"pgvector"},
          tags={"glyph/stage": "index"})
@retry_transient
def vector_index(context: dg.AssetExecutionContext, config: IndexConfig, graph_store: GraphStore) -> dg.MaterializeResult:
    """The HNSW (cosine) index over node embeddings: rebuilt concurrently when enough rows changed."""
    started = time.perf_counter()
    action = "none"
    with graph_store.owner_connection() as conn:
        status = conn.execute(load_sql("index_status"), {"index_name": INDEX}).fetchone()
        live, changes = conn.execute(load_sql("table_change_stats")).fetchone() or (0, 0)
        last = conn.execute(load_sql("get_index_maintenance"), {"index_name": INDEX}).fetchone()
        hnsw_available = bool(conn.execute("SELECT count(*) > 0 FROM pg_am WHERE amname = 'hnsw'").fetchone()[0])
        changed_since = int(changes) - int(last[1]) if last else int(changes)
        share = changed_since / max(int(live), 1)
        if status is None or not status[1]:
            if hnsw_available:
                if status is not None:  # an invalid leftover of a failed concurrent build
                    conn.execute(load_sql("rebuild_hnsw"))
                else:
                    conn.execute(load_sql("create_hnsw"))
                action = "built hnsw"
            else:
                conn.execute(load_sql("create_ivfflat_fallback"))
                action = "built ivfflat fallback (no hnsw access method)"
        elif config.force_rebuild or (last is not None and share >= config.rebuild_changed_share):
            conn.execute(load_sql("rebuild_hnsw"))
            action = "rebuilt concurrently"
        if action != "none" or last is None:
            conn.execute(load_sql("record_index_build"),
                         {"index_name": INDEX, "method": "hnsw" if hnsw_available else "ivfflat", "changes": changes})
        status = conn.execute(load_sql("index_status"), {"index_name": INDEX}).fetchone()
    context.log.info(f"vector index: {action}; {changed_since} rows changed since last build ({share:.1%})")
    tenant_indexes = maintain_tenant_indexes(graph_store, min_rows=config.tenant_index_min_rows,
                                             max_share=config.tenant_index_max_share, log=context.log.info)
    return dg.MaterializeResult(metadata={
        **tenant_indexes,
        "action": action,
        "method": status[0] if status else "none (exact search)",
        "index_bytes": dg.MetadataValue.int(int(status[2]) if status else 0),
        "live_rows": int(live),
        "changed_share_since_build": round(share, 4),
        "rebuild_threshold": config.rebuild_changed_share,
        "duration_s": round(time.perf_counter() - started, 3),
    })


def measure_recall(graph_store: GraphStore, k: int = 10, probes: int = 50, max_tenants: int = 5) -> dict[str, float]:
    """recall@k of index search vs exact search, per tenant, with probes drawn from the tenant's own nodes."""
    result: dict[str, float] = {}
    for tenant in graph_store.tenants()[:max_tenants]:
        hits = total = 0
        with graph_store.tenant_tx(tenant.id) as conn:
            qs = [r[0] for r in conn.execute(load_sql("recall_probe_nodes"), {"tenant_id": tenant.id, "probes": probes})]
            for q in qs:
                params = {"tenant_id": tenant.id, "q": q, "k": k}
                approx = {r[0] for r in conn.execute(load_sql("knn_search"), params, prepare=False)}
                conn.execute("SET LOCAL enable_indexscan = off")
                exact = {r[0] for r in conn.execute(load_sql("knn_exact"), params, prepare=False)}
                conn.execute("RESET enable_indexscan")
                hits += len(approx & exact)
                total += len(exact)
        if total:
            result[tenant.slug] = hits / total
    return result


@dg.asset_check(asset=vector_index, name=RECALL_CHECK,
                description="recall@10 of index search against exact search on sampled nodes of each tenant >= 0.95")
def recall_at_10(graph_store: GraphStore) -> dg.AssetCheckResult:
    per_tenant = measure_recall(graph_store)
    worst = min(per_tenant.values()) if per_tenant else 1.0
    return dg.AssetCheckResult(passed=worst >= 0.95, metadata={
        "worst_tenant_recall": round(worst, 4),
        "recall_per_tenant": dg.MetadataValue.json({k: round(v, 4) for k, v in per_tenant.items()}),
    })
