"""Documents and their embedded chunks -> node and edge rows keyed by stable external keys (pure).

External keys make every upsert idempotent: the same input always yields the same keys, so a re-run updates
nothing and emits no change events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from glyph_core.ids import chunk_key, doc_key, tag_slug

KIND_STYLE = {  # colour/size the Glyph Foundry app renders; (0,0,0) positions mean "not placed yet"
    "document": ("#4A90E2", 2.0),
    "chunk": ("#7ED321", 1.0),
    "concept": ("#F5A623", 1.5),
}


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


@dataclass(frozen=True)
class EdgeRow:
    src_key: str
    dst_key: str
    edge_type: str
    relation_name: str
    weight: float = 1.0


def safe_slug(name: str) -> str | None:
    try:
        return tag_slug(name)
    except ValueError:
        return None


def folder_tags(key: str) -> list[str]:
    """Folder segments of an object key below the tenant prefix, outermost first: `t/a/b/x.md` -> [a, b]."""
    parts = key.split("/")[1:-1]
    return [p for p in parts if p]


def mean_vector(vectors: Sequence[np.ndarray]) -> np.ndarray | None:
    """Normalized mean of chunk vectors: a document-level embedding for document-to-document similarity."""
    if not vectors:
        return None
    m = np.mean(np.stack(vectors), axis=0)
    n = float(np.linalg.norm(m))
    return (m / n).astype(np.float32) if n > 0 else None


def build_document_graph(doc: DocumentInput, chunks: Sequence[ChunkInput]) -> tuple[list[NodeRow], list[EdgeRow]]:
    """Nodes (document, chunks, concepts for tags) and edges (contains, next, tagged_with) of one document."""
    dkey = doc_key(doc.key)
    vectors = [c.vector for c in chunks if c.vector is not None]
    color, size = KIND_STYLE["document"]
    first = chunks[0].text if chunks else ""
    nodes = [NodeRow(dkey, "document", doc.title[:300], first[:280], None, doc.content_hash, doc.key, doc.etag,
                     mean_vector(vectors), color, size,
                     {"storage_path": doc.key, "format": doc.fmt, "chunks": len(chunks), "tags": list(doc.tags)})]
    edges: list[EdgeRow] = []
    color, size = KIND_STYLE["chunk"]
    previous: str | None = None
    for c in sorted(chunks, key=lambda c: c.index):
        ckey = chunk_key(doc.key, c.index)
        nodes.append(NodeRow(ckey, "chunk", f"{doc.title[:200]} #{c.index}", c.text[:280], c.text, c.content_hash,
                             doc.key, doc.etag, c.vector, color, size, {"chunk_index": c.index}))
        edges.append(EdgeRow(dkey, ckey, "contains", "has_chunk"))
        if previous is not None:
            edges.append(EdgeRow(previous, ckey, "next", "next_chunk"))
        previous = ckey
    color, size = KIND_STYLE["concept"]
    for tag in dict.fromkeys(doc.tags):  # ordered, deduplicated
        try:
            slug = tag_slug(tag)
        except ValueError:  # nothing sluggable left (e.g. only punctuation)
            continue
        tkey = f"tag:{slug}"
        nodes.append(NodeRow(tkey, "concept", tag[:120], f"Tag {tag[:120]}", None, slug, None, None, None,
                             color, size, {"tag_slug": slug}))
        edges.append(EdgeRow(dkey, tkey, "tagged_with", "tagged"))
    return nodes, edges
