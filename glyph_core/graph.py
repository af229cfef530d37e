"""Documents and their embedded chunks -> node and edge rows keyed by stable external keys (pure).

External keys make every upsert idempotent: the same input always yields the same keys, so a re-run updates
nothing and emits no change events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glyph_core.ids import chunk_key, doc_key, tag_slug
from glyph_core.models import DocumentToGraph

KIND_STYLE = {  # colour/size the Glyph Foundry app renders; (0,0,0) positions mean "not placed yet"
    "document": ("#4A90E2", 2.0),
    "chunk": ("#7ED321", 1.0),
    "concept": ("#F5A623", 1.5),
    "entity": ("#D0021B", 1.5),
}
SUMMARY_CHARS = 280
NAME_CHARS = 300


@dataclass(frozen=True)
class DocumentInput:
    key: str
    title: str
    content_hash: str
    etag: str
    fmt: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChunkInput:
    index: int
    text: str
    content_hash: str
    vector: np.ndarray | None


@dataclass(frozen=True)
class NodeRow:
    external_key: str
    kind: str
    name: str
    summary: str
    content: str | None
    content_hash: str
    source_key: str | None
    source_version: str | None
    vector: np.ndarray | None
    color: str
    size: float
    metadata: dict[str, object] = field(default_factory=dict)
    importance: float | None = None


@dataclass(frozen=True)
class EdgeRow:
    src_key: str
    dst_key: str
    edge_type: str
    relation_name: str
    weight: float = 1.0


@dataclass(frozen=True)
class GraphBatch:
    """Everything one batch of documents contributes to the graph, ready to stage."""

    source_keys: tuple[str, ...]
    nodes: tuple[NodeRow, ...]
    edges: tuple[EdgeRow, ...]
    tag_hierarchy: tuple[tuple[str, str], ...]  # (parent slug, child slug) from folder nesting

    def chunk_nodes(self) -> list[NodeRow]:
        return [n for n in self.nodes if n.kind == "chunk" and n.vector is not None]


def folder_tags(key: str) -> list[str]:
    """Folder segments of an object key below the tenant prefix, outermost first: `t/a/b/x.md` -> [a, b]."""
    parts = key.split("/")[1:-1]
    return [p for p in parts if p]


def folder_hierarchy(key: str) -> list[tuple[str, str]]:
    """(parent, child) tag slugs of nested folders: `t/a/b/x.md` -> [(a, b)]; unsluggable folders are skipped."""
    slugs = [s for s in (_slug(f) for f in folder_tags(key)) if s]
    return [(p, c) for p, c in zip(slugs, slugs[1:]) if p != c]


def _slug(name: str) -> str | None:
    try:
        return tag_slug(name)
    except ValueError:
        return None


def mean_vector(vectors: Sequence[np.ndarray]) -> np.ndarray | None:
    """Normalized mean of chunk vectors: a document-level embedding for document-to-document similarity."""
    if not vectors:
        return None
    m = np.mean(np.stack(vectors), axis=0)
    n = float(np.linalg.norm(m))
    return (m / n).astype(np.float32) if n > 0 else None


def document_input(doc: DocumentToGraph) -> DocumentInput:
    """Title, format and tags (folders first, then the document's own) of a file row."""
    meta: Mapping[str, Any] = doc.metadata or {}
    title = str(meta.get("title") or doc.storage_path.rsplit("/", 1)[-1])
    own = tuple(str(t) for t in meta.get("tags") or ())
    return DocumentInput(doc.storage_path, title, doc.content_hash, doc.etag or "", str(meta.get("format") or ""),
                         tuple(folder_tags(doc.storage_path)) + own)


def build_document_graph(doc: DocumentInput, chunks: Sequence[ChunkInput]) -> tuple[list[NodeRow], list[EdgeRow]]:
    """Nodes (document, chunks, concepts for tags) and edges (contains, next, tagged_with) of one document."""
    dkey = doc_key(doc.key)
    vectors = [c.vector for c in chunks if c.vector is not None]
    color, size = KIND_STYLE["document"]
    first = chunks[0].text if chunks else ""
    nodes = [NodeRow(dkey, "document", doc.title[:NAME_CHARS], first[:SUMMARY_CHARS], None, doc.content_hash, doc.key,
                     doc.etag, mean_vector(vectors), color, size,
                     {"storage_path": doc.key, "format": doc.fmt, "chunks": len(chunks), "tags": list(doc.tags)})]
    edges: list[EdgeRow] = []
    color, size = KIND_STYLE["chunk"]
    previous: str | None = None
    for c in sorted(chunks, key=lambda c: c.index):
        ckey = chunk_key(doc.key, c.index)
        nodes.append(NodeRow(ckey, "chunk", f"{doc.title[:200]} #{c.index}", c.text[:SUMMARY_CHARS], c.text,
                             c.content_hash, doc.key, doc.etag, c.vector, color, size, {"chunk_index": c.index}))
        edges.append(EdgeRow(dkey, ckey, "contains", "has_chunk"))
        if previous is not None:
            edges.append(EdgeRow(previous, ckey, "next", "next_chunk"))
        previous = ckey
    color, size = KIND_STYLE["concept"]
    for tag in dict.fromkeys(doc.tags):  # ordered, deduplicated
        slug = _slug(tag)
        if slug is None:  # nothing sluggable left (e.g. only punctuation)
            continue
        tkey = f"tag:{slug}"
        nodes.append(NodeRow(tkey, "concept", tag[:120], f"Tag {tag[:120]}", None, slug, None, None, None,
                             color, size, {"tag_slug": slug}))
        edges.append(EdgeRow(dkey, tkey, "tagged_with", "tagged"))
    return nodes, edges


def build_batch(docs: Sequence[DocumentToGraph], chunks: Mapping[Any, Sequence[ChunkInput]]) -> GraphBatch:
    """The rows of a batch of documents; `chunks` maps a file id to its chunks. Shared nodes (concepts) once."""
    nodes: dict[str, NodeRow] = {}
    edges: list[EdgeRow] = []
    hierarchy: set[tuple[str, str]] = set()
    for doc in docs:
        n, e = build_document_graph(document_input(doc), chunks.get(doc.id, ()))
        for node in n:
            nodes.setdefault(node.external_key, node)
        edges += e
        hierarchy.update(folder_hierarchy(doc.storage_path))
    return GraphBatch(tuple(d.storage_path for d in docs), tuple(nodes.values()), tuple(edges),
                      tuple(sorted(hierarchy)))
