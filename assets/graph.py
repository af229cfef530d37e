"""graph: tenant-scoped nodes and edges in nodes_v2/edges_v2, upserted in bulk (COPY -> staging -> ON CONFLICT).

Per batch of changed documents, in one transaction with the tenant context set, as glyph_app: document, chunk and
concept (tag) nodes; contains / next / tagged_with edges; kNN similarity edges through pgvector. Objects that
disappeared soft-delete their nodes and drop their edges. Unchanged rows are not rewritten, so a re-run emits no
change events (the outbox triggers only see real changes).
"""


import json
import time

import dagster as dg

from glyph_core.graph import (
    ChunkInput,
    DocumentInput,
    build_document_graph,
    folder_tags,
    safe_slug,
)
from glyph_io.logs import log_event
from assets.partitions import tenant_partitions
from glyph_io.resources import Embedder, GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql
from glyph_io.vectors import parse_vector, vector_literal

DOCS_PER_TX = 50
NO_DANGLING_EDGES = "no_dangling_edges"


class GraphConfig(dg.Config):  # type: ignore[misc]
    similarity_k: int = 5
    similarity_threshold: float = 0.6


@dg.asset(
    partitions_def=tenant_partitions,
    deps=["embeddings"],
    retry_policy=TRANSIENT_RETRY,
    group_name="graph",
    kinds={"postgres"},
    tags={"glyph/stage": "graph"},
    check_specs=[dg.AssetCheckSpec(NO_DANGLING_EDGES, asset="knowledge_graph",
                                   description="no live edge points at a deleted node")],
)
@retry_transient
def knowledge_graph(context: dg.AssetExecutionContext, config: GraphConfig, graph_store: GraphStore,
                    embedder: Embedder) -> dg.MaterializeResult:
    """The tenant's knowledge graph: document, chunk and concept nodes with structural and similarity edges."""
    started = time.perf_counter()
    tenant = graph_store.tenant_by_slug(context.partition_key)
    tid = tenant.id
    model = embedder.model_key
    nodes_staged = edges_staged = removed_nodes = 0
    with graph_store.tenant_lock(tid):
        with graph_store.tenant_tx(tid) as conn:
            gone = [r[0] for r in conn.execute(load_sql("delete_nodes_of_removed_files"), {"tenant_id": tid})]
            if gone:
                conn.execute(load_sql("delete_edges_of_nodes"), {"tenant_id": tid, "node_ids": gone})
            conn.execute(load_sql("mark_removed_files_done"), {"tenant_id": tid})
            removed_nodes += len(gone)
            todo = conn.execute(load_sql("files_to_graph"), {"tenant_id": tid}).fetchall()
        for start in range(0, len(todo), DOCS_PER_TX):
            batch = todo[start:start + DOCS_PER_TX]
            file_ids = [r[0] for r in batch]
            with graph_store.tenant_tx(tid) as conn:
                chunk_rows = conn.execute(load_sql("chunks_with_vectors"),
                                          {"tenant_id": tid, "model": model, "file_ids": file_ids}).fetchall()
                by_file: dict[object, list[ChunkInput]] = {}
                for file_id, _cid, index, text, chash, vec in chunk_rows:
                    by_file.setdefault(file_id, []).append(ChunkInput(index, text, chash, None if vec is None else parse_vector(vec)))
                nodes, edges, hierarchy = [], [], set()
                for file_id, key, chash, etag, meta in batch:
                    meta = meta or {}
                    folders = folder_tags(key)
                    doc = DocumentInput(key, str(meta.get("title") or key.rsplit("/", 1)[-1]), chash, etag or "",
                                        str(meta.get("format") or ""), tuple(folders) + tuple(meta.get("tags") or ()))
                    n, e = build_document_graph(doc, by_file.get(file_id, []))
                    nodes += n
                    edges += e
                    slugs = [safe_slug(f) for f in folders]
                    hierarchy.update((p, c) for p, c in zip(slugs, slugs[1:]) if p and c and p != c)
                # concept nodes are shared between documents: stage each once
                unique_nodes = list({n.external_key: n for n in nodes}.values())
                conn.execute(load_sql("create_stage_graph"))
                with conn.cursor().copy("COPY stage_nodes FROM STDIN") as copy:
                    for n in unique_nodes:
                        copy.write_row((n.external_key, n.kind, n.name, n.summary, n.content, n.content_hash,
                                        n.source_key, n.source_version, None if n.vector is None else vector_literal(n.vector), n.color, n.size,
                                        json.dumps(n.metadata)))
                with conn.cursor().copy("COPY stage_edges FROM STDIN") as copy:
                    for e in edges:
                        copy.write_row((e.src_key, e.dst_key, e.edge_type, e.relation_name, e.weight))
                keys = [r[1] for r in batch]
                params = {"tenant_id": tid, "model": model, "source_keys": keys}
                conn.execute(load_sql("delete_similarity_edges"), params)
                conn.execute(load_sql("upsert_nodes"), params)
                stale = [r[0] for r in conn.execute(load_sql("delete_stale_chunk_nodes"), params)]
                if stale:
                    conn.execute(load_sql("delete_edges_of_nodes"), {"tenant_id": tid, "node_ids": stale})
                conn.execute(load_sql("delete_stale_structure_edges"), params)
                conn.execute(load_sql("upsert_edges"), params)
                conn.execute(load_sql("upsert_tags"), params)
                conn.execute(load_sql("link_node_tags"), params)
                if hierarchy:
                    parents, children = zip(*sorted(hierarchy))
                    conn.execute(load_sql("link_tag_hierarchy"),
                                 {"tenant_id": tid, "parents": list(parents), "children": list(children)})
                conn.execute(load_sql("insert_similarity_edges"),
                             {**params, "k": config.similarity_k, "threshold": config.similarity_threshold})
                conn.execute(load_sql("mark_files_graphed"), {"tenant_id": tid, "file_ids": file_ids})
            nodes_staged += len(unique_nodes)
            edges_staged += len(edges)
            log_event(context, f"graphed {min(start + DOCS_PER_TX, len(todo))}/{len(todo)} documents", tenant=tenant.slug)
        with graph_store.tenant_tx(tid) as conn:
            live_nodes, live_edges, dangling = conn.execute(load_sql("count_graph"), {"tenant_id": tid}).fetchone()
    return dg.MaterializeResult(
        metadata={
            "tenant": tenant.slug,
            "documents_written": len(todo),
            "nodes_staged": nodes_staged,
            "structural_edges_staged": edges_staged,
            "nodes_removed": removed_nodes,
            "live_nodes": live_nodes,
            "live_edges": live_edges,
            "similarity_k": config.similarity_k,
            "similarity_threshold": config.similarity_threshold,
            "duration_s": round(time.perf_counter() - started, 3),
        },
        check_results=[dg.AssetCheckResult(check_name=NO_DANGLING_EDGES, passed=dangling == 0,
                                           metadata={"dangling_edges": dangling})],
    )
