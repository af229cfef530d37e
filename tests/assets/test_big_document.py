"""A 10,000-chunk document (about 9 MB of text) through the graph stage: bulk and never quadratic.

The reference behaviour this guards against: one DELETE anti-joining an unindexed, unanalyzed staging table ran
for more than 15 minutes on a 9,668-chunk document. The document is written as its files row (parsing caps a
document at ParseLimits.max_chars, 2 M characters, below this size), vectors come from the Redis cache (seeded with
unit vectors for the chunk hashes): every later stage runs its real path without an hour of encoding. Extraction
is off (the entity layer has its own tests). The bound is generous: a regression is minutes, not seconds.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import numpy as np
import pytest

from assets import chunk, embed, graph
from glyph_core.ids import content_hash
from glyph_core.models import FileRecord
from glyph_io.embedder import Embedder
from tests.helpers import create_tenant, delete_tenant, in_tenant

CHUNKS = 10_000
GRAPH_STAGE_BOUND_S = 120.0


def big_text(paragraphs: int, word: str) -> str:
    """Distinct numbered paragraphs (about 1.2 per 256-token window, after the overlap)."""
    line = ("Paragraph {i} of the archive describes {w} {i} in region {r}, with its carrier, its weight, "
            "its declared value and the customs notes that came with it. ")
    return "\n\n".join((line * 5).format(i=i, r=i % 97, w=word) for i in range(paragraphs))


def materialize(resources: dict[str, Any], slug: str, instance: dg.DagsterInstance,
                selection: list[str]) -> dict[str, dict[str, Any]]:
    result = dg.materialize([chunk.chunks, embed.embeddings, graph.knowledge_graph],
                            selection=selection, partition_key=slug, instance=instance, resources=resources)
    assert result.success
    return {e.materialization.asset_key.to_user_string(): {k: getattr(v, "value", v)
                                                           for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


def seed_vectors(resources: dict[str, Any], tenant_id: str) -> int:
    hashes = [r[0] for r in in_tenant(tenant_id, "SELECT DISTINCT content_hash FROM file_chunks")]
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((len(hashes), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    resources["cache"].put_vectors(tenant_id, resources["embedder"].model_key, dict(zip(hashes, vectors)))
    return len(hashes)


@pytest.mark.slow
def test_a_10000_chunk_document_is_graphed_and_regraphed_in_bounded_time(resources: dict[str, Any]) -> None:
    tenant_id, slug = create_tenant("big")
    stages = {**resources, "embedder": Embedder(extract=False)}
    resources["object_store"].ensure_bucket()  # the chunk stage lists the (empty) prefix; a fresh CI has no bucket
    try:
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("tenants", [slug])
            for version, word in enumerate(("shipment", "parcel")):  # the second version changes every chunk
                text = big_text(int(CHUNKS * 1.2), word)
                record = FileRecord(f"{slug}/archive.txt", "archive.txt", "text", "text/plain", len(text),
                                    f"etag-{version}", None, "pending", text=text, content_hash=content_hash(text))
                assert resources["graph_store"].documents.write(tenant_id, [record], [], "test") == []
                chunked = materialize(stages, slug, instance, ["chunks"])
                assert chunked["chunks"]["chunks_written"] >= CHUNKS * 0.9
                assert seed_vectors(resources, tenant_id) >= CHUNKS * 0.9
                meta = materialize(stages, slug, instance, ["embeddings", "knowledge_graph"])
                assert meta["embeddings"]["encoded"] == 0  # every vector came from the cache
                seconds = meta["knowledge_graph"]["duration_s"]
                assert seconds < GRAPH_STAGE_BOUND_S, f"version {version}: graph stage took {seconds} s"
                print(f"version {version}: {chunked['chunks']['chunks_written']} chunks, graph stage {seconds} s")
                live = in_tenant(tenant_id, "SELECT count(*) FROM nodes_v2 WHERE kind = 'chunk' AND deleted_at IS NULL")
                chunk_rows = in_tenant(tenant_id, "SELECT count(*) FROM file_chunks")
                assert live == chunk_rows
            nexts = in_tenant(tenant_id, "SELECT count(*) FROM edges_v2 WHERE edge_type = 'next'")[0][0]
            assert nexts == chunk_rows[0][0] - 1  # the old version's structure is gone, the new one complete
    finally:
        delete_tenant(resources, tenant_id, slug)
