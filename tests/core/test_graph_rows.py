import numpy as np

from glyph_core.graph import (
    ChunkInput,
    DocumentInput,
    build_document_graph,
    folder_tags,
    mean_vector,
)


def _doc(tags: tuple[str, ...] = ("guides",)) -> DocumentInput:
    return DocumentInput("acme/guides/a.md", "A", "h1", "etag1", "md", tags)


def _chunks(n: int) -> list[ChunkInput]:
    return [ChunkInput(i, f"text {i}", f"c{i}", np.eye(384, dtype=np.float32)[i]) for i in range(n)]


def test_nodes_and_edges_of_a_document_use_stable_external_keys() -> None:
    nodes, edges = build_document_graph(_doc(), _chunks(3))
    assert [n.external_key for n in nodes] == ["doc:acme/guides/a.md", "chunk:acme/guides/a.md#0",
                                               "chunk:acme/guides/a.md#1", "chunk:acme/guides/a.md#2", "tag:guides"]
    kinds = {(e.edge_type, e.src_key, e.dst_key) for e in edges}
    assert ("contains", "doc:acme/guides/a.md", "chunk:acme/guides/a.md#2") in kinds
    assert ("next", "chunk:acme/guides/a.md#0", "chunk:acme/guides/a.md#1") in kinds
    assert ("tagged_with", "doc:acme/guides/a.md", "tag:guides") in kinds
    again_nodes, again_edges = build_document_graph(_doc(), _chunks(3))
    assert again_edges == edges and [n.external_key for n in again_nodes] == [n.external_key for n in nodes]


def test_document_vector_is_the_normalized_mean_of_its_chunks() -> None:
    v = mean_vector([c.vector for c in _chunks(2) if c.vector is not None])
    assert v is not None and abs(float(np.linalg.norm(v)) - 1.0) < 1e-6
    assert mean_vector([]) is None


def test_folder_tags_skip_the_tenant_prefix_and_the_file_name() -> None:
    assert folder_tags("acme/a/b/x.md") == ["a", "b"]
    assert folder_tags("acme/x.md") == []
