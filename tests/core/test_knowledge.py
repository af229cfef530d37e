"""The entity layer from mentions (glyph_core/knowledge.py): nodes, references, relates_to, top concepts."""

from __future__ import annotations

import random

import numpy as np
import polars as pl

from glyph_core.knowledge import (
    MIN_NPMI,
    MIN_PAIR_CHUNKS,
    TOP_CONCEPTS_PER_DOC,
    build,
    mention_frame,
    node_rows,
    related_pairs,
    top_concepts,
)


def entity(doc: str, chunk: int, name: str, n: int = 1, kind: str = "product") -> tuple[object, ...]:
    return (doc, chunk, f"entity:{name.lower()}", "entity", kind, name, [name], n, 0.0)


def concept(doc: str, chunk: int, name: str, score: float, n: int = 1) -> tuple[object, ...]:
    return (doc, chunk, f"tag:{name.replace(' ', '-')}", "concept", "concept", name, [name], n, score)


ROWS = [
    # TarFile and TarInfo always together (3 chunks); ZipFile alone; CPython everywhere
    entity("t/a.md", 0, "TarFile", 2), entity("t/a.md", 0, "TarInfo"), entity("t/a.md", 0, "CPython"),
    entity("t/a.md", 1, "TarFile"), entity("t/a.md", 1, "TarInfo"), entity("t/a.md", 1, "CPython"),
    entity("t/b.md", 0, "TarFile"), entity("t/b.md", 0, "TarInfo"), entity("t/b.md", 0, "CPython"),
    entity("t/c.md", 0, "ZipFile"), entity("t/c.md", 0, "CPython"), entity("t/c.md", 1, "CPython"),
    entity("t/d.md", 0, "Guido van Rossum", kind="person"), entity("t/d.md", 0, "CPython"),
    *[concept("t/a.md", 0, f"phrase {i}", 0.1 * i) for i in range(8)],
    concept("t/a.md", 1, "tar archive", 0.9, n=3), concept("t/b.md", 0, "tar archive", 0.8),
]


def test_references_link_chunks_to_what_they_mention_with_counts() -> None:
    knowledge = build(mention_frame(ROWS))
    refs = {(e.src_key, e.dst_key): e.weight for e in knowledge.edges if e.relation_name == "mentions"}
    assert refs[("chunk:t/a.md#0", "entity:tarfile")] == 2.0
    assert refs[("chunk:t/d.md#0", "entity:guido van rossum")] == 1.0


def test_only_each_documents_top_concepts_become_nodes() -> None:
    knowledge = build(mention_frame(ROWS))
    concepts = {n.key for n in knowledge.nodes if n.kind == "concept"}
    # a.md has 9 candidates: the best TOP_CONCEPTS_PER_DOC survive; "phrase 0" (score 0) does not
    assert "tag:tar-archive" in concepts and "tag:phrase-7" in concepts and "tag:phrase-0" not in concepts
    assert len([k for k in concepts if k.startswith("tag:phrase")]) == TOP_CONCEPTS_PER_DOC - 1
    key_concepts = {(e.src_key, e.dst_key) for e in knowledge.edges if e.relation_name == "key_concept"}
    assert ("doc:t/b.md", "tag:tar-archive") in key_concepts


def test_relates_to_keeps_significant_pairs_only() -> None:
    pairs = related_pairs(mention_frame(ROWS).filter(pl.col("kind") == "entity"))
    found = {(a, b): npmi for a, b, _, npmi in pairs.iter_rows()}
    assert set(found) == {("entity:tarfile", "entity:tarinfo")}  # co-occur in 3 chunks, never apart
    assert found[("entity:tarfile", "entity:tarinfo")] >= MIN_NPMI
    # CPython co-occurs with TarFile in 3 chunks too, but is everywhere: chance explains it (NPMI ~ 0)
    assert MIN_PAIR_CHUNKS == 2


def test_nodes_carry_names_aliases_counts_and_local_importance() -> None:
    knowledge = build(mention_frame(ROWS))
    nodes = {n.key: n for n in knowledge.nodes}
    tar = nodes["entity:tarfile"]
    assert (tar.name, tar.type, tar.mentions, tar.chunks, tar.documents) == ("TarFile", "product", 4, 3, 2)
    assert nodes["entity:guido van rossum"].type == "person"
    assert 0 < nodes["entity:zipfile"].importance < tar.importance < 1
    rows = node_rows(knowledge, {"entity:tarfile": np.ones(384, dtype=np.float32)})
    row = next(r for r in rows if r.external_key == "entity:tarfile")
    assert row.kind == "entity" and row.vector is not None
    assert row.metadata == {"aliases": ["TarFile"], "mentions": 4, "chunks": 3, "documents": 2,
                            "entity_type": "product"}
    assert next(r for r in rows if r.external_key == "tag:tar-archive").metadata["tag_slug"] == "tar-archive"


def test_the_same_mentions_in_any_order_give_the_same_layer() -> None:
    shuffled = list(ROWS)
    random.Random(7).shuffle(shuffled)
    assert build(mention_frame(ROWS)) == build(mention_frame(shuffled))


def test_an_empty_tenant_has_an_empty_layer() -> None:
    knowledge = build(mention_frame([]))
    assert knowledge.nodes == () and knowledge.edges == ()
    assert top_concepts(mention_frame([])).height == 0
