"""embeddings: a 384-d vector per chunk for the current model+version, and the entities and concepts each chunk text
mentions, computed only for texts never seen before.

Lookup order per chunk text (by content hash): this tenant's embeddings_v2 rows for the same model -> Redis ->
encode. A no-change re-run therefore encodes nothing, and an edit re-encodes only the chunks whose text changed.
Mentions come out of the same forward pass (glyph_io/encoder.py), so extraction lives here, not in a stage of its
own: a separate stage would have to encode every text again for its token vectors. The entity graph stage turns
them into nodes and edges. Batches stream: the workers encode batch n+1 while batch n is written.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import numpy as np

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.batching import batched, texts_to_encode
from glyph_core.models import ChunkToEmbed
from glyph_io.cache import Cache
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed

ENCODE_BATCH = 256  # chunks per commit: bounded memory, progress in the UI, little lost on a crash


@dataclass
class Batch:
    chunks: list[ChunkToEmbed]
    known: dict[str, np.ndarray]  # content hash -> vector the tenant (or Redis) already has
    texts: dict[str, str]  # content hash -> text to encode


@dg.asset(partitions_def=tenant_partitions, deps=["chunks"], retry_policy=TRANSIENT_RETRY, group_name="ingest",
          kinds={"pytorch", "spacy", "redis", "postgres"}, tags={"glyph/stage": "embed"})
@retry_transient
def embeddings(context: dg.AssetExecutionContext, graph_store: GraphStore, embedder: Embedder,
               cache: Cache) -> Materialized:
    """all-MiniLM-L6-v2 vectors of the tenant's chunks (embeddings_v2) and their mentions (chunk_mentions)."""
    model, extractor, stats = embedder.model_key, embedder.extractor_key, {"encoded": 0, "reused": 0, "mentions": 0}
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        with graph_store.tenant_lock(tenant.id):
            todo = graph_store.embeddings.to_embed(tenant.id, model, extractor)

            def batches() -> Iterator[Batch]:  # pulled by the encoder as it needs work: these lookups overlap with encoding
                for chunks in batched(todo, ENCODE_BATCH):
                    hashes = sorted({c.content_hash for c in chunks if c.needs_vector})
                    known = graph_store.embeddings.known(tenant.id, model, hashes)
                    known |= cache.get_vectors(tenant.id, model, [h for h in hashes if h not in known])
                    yield Batch(chunks, known, texts_to_encode(chunks, known))

            for batch, encoded in embedder.stream(batches(), lambda b: list(b.texts.values())):
                fresh = {h: e.vector for h, e in zip(batch.texts, encoded)}
                cache.put_vectors(tenant.id, model, fresh)
                vectors = batch.known | fresh
                graph_store.embeddings.write(tenant.id, model, [(c.id, c.content_hash, vectors[c.content_hash])
                                                                 for c in batch.chunks if c.needs_vector])
                if extractor is not None:
                    found = {h: e.mentions for h, e in zip(batch.texts, encoded)}
                    stats["mentions"] += graph_store.mentions.write(tenant.id, extractor, found)
                stats["encoded"] += len(fresh)
                stats["reused"] += len({c.content_hash for c in batch.chunks if c.needs_vector} - set(fresh))
                log_event(context, f"{stats['encoded'] + stats['reused']} texts of {len(todo)} chunks done "
                                   f"({stats['encoded']} encoded, {stats['mentions']} mentions)", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug, "model": model, "extractor": extractor or "off", "chunks_to_process": len(todo),
        "encoded": stats["encoded"], "vectors_reused": stats["reused"], "mentions_found": stats["mentions"],
        "encode_chunks_per_s": round(stats["encoded"] / clock.seconds, 1) if clock.seconds else 0.0,
        "duration_s": clock.seconds})
