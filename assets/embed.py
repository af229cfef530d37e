"""embeddings: a 384-d vector per chunk for the current model+version, computed only when no vector exists.

Lookup order per chunk text (by content hash): this tenant's embeddings_v2 rows for the same model -> Redis ->
encode. A no-change re-run therefore encodes nothing, and an edit re-encodes only the chunks whose text changed.
A model change (new `model_key`) re-embeds every chunk of the tenant, because no row carries the new key yet.
"""

import dagster as dg

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.batching import batched, texts_to_encode
from glyph_io.cache import Cache
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed

ENCODE_BATCH = 256  # texts per encode + commit: bounded memory, progress in the UI, little lost on a crash


@dg.asset(partitions_def=tenant_partitions, deps=["chunks"], retry_policy=TRANSIENT_RETRY, group_name="ingest",
          kinds={"pytorch", "redis", "postgres"}, tags={"glyph/stage": "embed"})
@retry_transient
def embeddings(context: dg.AssetExecutionContext, graph_store: GraphStore, embedder: Embedder,
               cache: Cache) -> Materialized:
    """all-MiniLM-L6-v2 vectors of the tenant's chunks (embeddings_v2), keyed by model version and content hash."""
    model = embedder.model_key
    encoded = reused = from_cache = 0
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        with graph_store.tenant_lock(tenant.id):
            todo = graph_store.embeddings.to_embed(tenant.id, model)
            encode_seconds = 0.0
            for batch in batched(todo, ENCODE_BATCH):
                known = graph_store.embeddings.known(tenant.id, model, sorted({c.content_hash for c in batch}))
                reused += sum(1 for c in batch if c.content_hash in known)
                cached = cache.get_vectors(tenant.id, model, [c.content_hash for c in batch
                                                              if c.content_hash not in known])
                from_cache += sum(1 for c in batch if c.content_hash in cached)
                known.update(cached)
                texts = texts_to_encode(batch, known)
                with timed() as encoding:
                    fresh = dict(zip(texts, embedder.encode(list(texts.values()))))
                encode_seconds += encoding.seconds
                cache.put_vectors(tenant.id, model, fresh)
                known.update(fresh)
                graph_store.embeddings.write(tenant.id, model, [(c.id, c.content_hash, known[c.content_hash])
                                                                 for c in batch])
                encoded += len(fresh)
                log_event(context, f"{encoded + reused + from_cache}/{len(todo)} chunks embedded "
                                   f"({encoded} encoded so far)", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug, "model": model, "chunks_needing_vectors": len(todo), "encoded": encoded,
        "reused_from_database": reused, "reused_from_redis": from_cache, "encode_s": round(encode_seconds, 3),
        "encode_chunks_per_s": round(encoded / encode_seconds, 1) if encode_seconds else 0.0,
        "duration_s": clock.seconds})
