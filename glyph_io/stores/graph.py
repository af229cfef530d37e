"""The knowledge graph of a tenant (nodes_v2, edges_v2, tags): read what changed, write a batch as one unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import numpy as np

from glyph_core.graph import ChunkInput, EdgeRow, GraphBatch, NodeRow
from glyph_core.models import DocumentToGraph, GraphCounts, TenantSummary
from glyph_core.similarity import VectorPool
from glyph_io.bulk import stage
from glyph_io.database import Conn, Database, array, execute, one, rows, scalar, tuples, values


class NodeEdgeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def remove_deleted(self, tenant_id: str) -> int:
        """Soft-delete the nodes of objects that disappeared and drop their edges, in one transaction."""
        params: dict[str, Any] = {"tenant_id": tenant_id}
        with self._db.tenant(tenant_id) as conn:
            gone = values(conn, "delete_nodes_of_removed_files", params)
            if gone:
                execute(conn, "delete_edges_of_nodes", {**params, "node_ids": gone})
            execute(conn, "mark_removed_files_done", params)
        return len(gone)

    def files_to_graph(self, tenant_id: str) -> list[DocumentToGraph]:
        with self._db.tenant(tenant_id) as conn:
            return rows(conn, "files_to_graph", {"tenant_id": tenant_id}, DocumentToGraph)

    def chunks_of(self, tenant_id: str, model: str, file_ids: Sequence[UUID]) -> dict[UUID, list[ChunkInput]]:
        """The chunks of these files with their `model` vectors, by file id, in chunk order."""
        out: dict[UUID, list[ChunkInput]] = {}
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "chunks_with_vectors", {"tenant_id": tenant_id, "model": model,
                                                          "file_ids": list(file_ids)}, binary=True)
        for file_id, index, text, chash, vec in found:
            out.setdefault(file_id, []).append(ChunkInput(index, text, chash, None if vec is None else array(vec)))
        return out

    def chunk_count(self, tenant_id: str) -> int:
        with self._db.tenant(tenant_id) as conn:
            return int(scalar(conn, "count_chunk_nodes", {"tenant_id": tenant_id}))

    def chunk_pool(self, tenant_id: str, exclude_sources: Sequence[str]) -> VectorPool:
        """The tenant's chunk vectors outside the documents about to be (re)graphed, for exact kNN in memory."""
        pool = VectorPool()
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "tenant_chunk_vectors", {"tenant_id": tenant_id, "exclude": list(exclude_sources)},
                           binary=True)
        if found:
            keys, sources, vectors = zip(*found)
            pool.add(list(keys), list(sources), np.stack([array(v) for v in vectors]))
        return pool

    def write(self, tenant_id: str, model: str, batch: GraphBatch, similar: Sequence[EdgeRow],
              file_ids: Sequence[UUID], regraphed: Sequence[str] = (),
              sql_knn: tuple[int, float] | None = None) -> dict[str, int]:
        """Write one batch of documents in one transaction; returns rows touched per statement.

        Order matters: similarity edges of chunks whose text changed go before their nodes are updated; then
        nodes; chunk nodes the new versions lack (and their edges); structural edges they dropped; then the staged
        edges, tags, and the files' graphed marks. With `sql_knn` = (k, threshold), similarity edges are computed
        in SQL through the vector indexes instead of being staged (tenants too large for the in-memory search).
        `regraphed`: the object keys of the batch with an earlier version in the graph; only their leftovers are
        looked for (a new document has none), each lookup through an index from the batch's own node ids.
        """
        params: dict[str, Any] = {"tenant_id": tenant_id, "model": model, "source_keys": list(batch.source_keys),
                                  "regraphed": list(regraphed), "keep_concepts": True}
        touched: dict[str, int] = {}
        with self._db.tenant(tenant_id) as conn:
            touched["nodes_staged"] = stage(conn, "nodes", (node_row(n) for n in batch.nodes))
            changed = values(conn, "changed_chunk_nodes", params) if regraphed else []
            if changed:
                touched["similarity_edges_dropped"] = execute(conn, "delete_changed_similarity_edges",
                                                              {**params, "node_ids": changed})
            touched["nodes_written"] = execute(conn, "upsert_nodes", params)
            stale = values(conn, "delete_stale_chunk_nodes", params) if regraphed else []
            if stale:
                touched["stale_edges_dropped"] = execute(conn, "delete_edges_of_nodes",
                                                         {**params, "node_ids": stale})
            touched["chunk_nodes_removed"] = len(stale)
            touched["edges_staged"] = stage_edges(conn, tenant_id, (*batch.edges, *similar))
            if regraphed:
                touched["structure_edges_dropped"] = execute(conn, "delete_stale_structure_edges", {
                    **params, "node_ids": values(conn, "nodes_of_sources", params)})
            touched["edges_written"] = execute(conn, "upsert_edges", params)
            self._tags(conn, batch, params)
            if sql_knn is not None:
                touched["edges_written"] += execute(conn, "insert_similarity_edges",
                                                    {**params, "k": sql_knn[0], "threshold": sql_knn[1]})
            execute(conn, "mark_files_graphed", {"tenant_id": tenant_id, "file_ids": list(file_ids)})
        return touched

    @staticmethod
    def _tags(conn: Conn, batch: GraphBatch, params: dict[str, Any]) -> None:
        execute(conn, "upsert_tags", params)
        execute(conn, "link_node_tags", params)
        if batch.tag_hierarchy:
            parents, children = zip(*batch.tag_hierarchy)
            execute(conn, "link_tag_hierarchy", {**params, "parents": list(parents), "children": list(children)})

    def counts(self, tenant_id: str) -> GraphCounts:
        with self._db.tenant(tenant_id) as conn:
            found = one(conn, "count_graph", {"tenant_id": tenant_id}, GraphCounts)
        assert found is not None  # an aggregate always returns one row
        return found

    def summary(self, tenant_id: str) -> TenantSummary:
        """Totals for the CLI's summary table."""
        with self._db.tenant(tenant_id) as conn:
            found = one(conn, "tenant_summary", {"tenant_id": tenant_id}, TenantSummary)
        assert found is not None
        return found


def stage_edges(conn: Conn, tenant_id: str, edges: Sequence[EdgeRow]) -> int:
    """Stage edges with their ends resolved to node ids (one query for every key); call after the nodes are
    written. An edge whose end does not exist is staged with a NULL id and skipped by the merges."""
    keys = sorted({e.src_key for e in edges} | {e.dst_key for e in edges})
    ids = dict(tuples(conn, "node_ids", {"tenant_id": tenant_id, "keys": keys})) if keys else {}
    return stage(conn, "edges", ((e.src_key, e.dst_key, e.edge_type, e.relation_name, e.weight, ids.get(e.src_key),
                                  ids.get(e.dst_key)) for e in edges))


def node_row(n: NodeRow) -> tuple[Any, ...]:
    return (n.external_key, n.kind, n.name, n.summary, n.content, n.content_hash, n.source_key, n.source_version,
            n.vector, n.color, n.size, n.metadata, n.importance)
