"""embeddings: a 384-d vector per chunk for the current model+version, computed only when no vector exists.

Lookup order per chunk text (by content hash): this tenant's embeddings_v2 rows for the same model -> Redis ->
encode. A no-change re-run therefore encodes nothing, and an edit re-encodes only the chunks whose text changed.
A model change (new `model_key`) re-embeds every chunk of the tenant, because no row carries the new key yet.
"""


import time

import dagster as dg

from glyph_io.logs import log_event
from assets.partitions import tenant_partitions
from glyph_io.resources import Cache, Embedder, GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql
from glyph_io.vectors import parse_vector, vector_literal

ENCODE_BATCH = 256  # texts per encode + commit: bounded memory, progress in the UI, little lost on a crash


@dg.asset(
    partitions_def=tenant_partitions,
    deps=["chunks"],
    retry_policy=TRANSIENT_RETRY,
    group_name="ingest",
    kinds={"pytorch", "redis", "postgres"},
    tags={"glyph/stage": "embed"},
)
@retry_transient
def embeddings(context: dg.AssetExecutionContext, graph_store: GraphStore, embedder: Embedder,
               cache: Cache) -> dg.MaterializeResult:
    """all-MiniLM-L6-v2 vectors of the tenant's chunks (embeddings_v2), keyed by model version and content hash."""
    started = time.perf_counter()
    tenant = graph_store.tenant_by_slug(context.partition_key)
    model = embedder.model_key
    encoded = from_db = from_cache = 0
    encode_seconds = 0.0
    with graph_store.tenant_lock(tenant.id):
        with graph_store.tenant_tx(tenant.id) as conn:
            todo = conn.execute(load_sql("chunks_to_embed"), {"tenant_id": tenant.id, "model": model}).fetchall()
        for start in range(0, len(todo), ENCODE_BATCH):
            batch = todo[start:start + ENCODE_BATCH]
            hashes = sorted({h for _, h, _ in batch})
            with graph_store.tenant_tx(tenant.id) as conn:
                known = {h: parse_vector(v) for h, v in conn.execute(
                    load_sql("vectors_by_hash"), {"tenant_id": tenant.id, "model": model, "hashes": hashes})}
            from_db += sum(1 for _, h, _ in batch if h in known)
            cached = cache.get_vectors(tenant.id, model, [h for h in hashes if h not in known])
            from_cache += sum(1 for _, h, _ in batch if h in cached)
            known.update(cached)
            texts = {h: t for _, h, t in batch if h not in known}
            if texts:
                t0 = time.perf_counter()
                vectors = embedder.encode(list(texts.values()))
                encode_seconds += time.perf_counter() - t0
                fresh = dict(zip(texts.keys(), vectors))
                encoded += len(fresh)
                cache.put_vectors(tenant.id, model, fresh)
                known.update(fresh)
            with graph_store.tenant_tx(tenant.id) as conn:
                conn.execute(load_sql("create_stage_embeddings"))
                with conn.cursor().copy("COPY stage_embeddings (obj_id, content_hash, vec) FROM STDIN") as copy:
                    for chunk_id, h, _ in batch:
                        copy.write_row((chunk_id, h, vector_literal(known[h])))
                conn.execute(load_sql("upsert_embeddings"), {"tenant_id": tenant.id, "model": model})
            log_event(context, f"{min(start + ENCODE_BATCH, len(todo))}/{len(todo)} chunks embedded "
                               f"({encoded} encoded so far)", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug,
        "model": model,
        "chunks_needing_vectors": len(todo),
        "encoded": encoded,
        "reused_from_database": from_db,
        "reused_from_redis": from_cache,
        "encode_chunks_per_s": round(encoded / encode_seconds, 1) if encode_seconds else 0.0,
        "duration_s": round(time.perf_counter() - started, 3),
    })
