"""chunks: each changed document split into overlapping windows of the model's own tokens (file_chunks).

Token-aware: all-MiniLM-L6-v2 reads at most 256 WordPiece tokens and silently drops the rest, so windows are
measured with its tokenizer, never in words; and bounded in characters too (ChunkSpec.max_chars), because the
tokenizer reads a long run without spaces as one token. Only files whose content changed since they were last
chunked are touched; chunk rows whose text is unchanged are not rewritten (their embeddings stay valid).
"""

import dagster as dg

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.batching import batched
from glyph_core.chunking import ChunkSpec, chunk_records, load_tokenizer
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed

FILES_PER_TX = 100


class ChunkConfig(dg.Config):
    max_tokens: int = 256
    overlap_tokens: int = 32
    max_chars: int = 4096


@dg.asset(partitions_def=tenant_partitions, deps=["source_documents"], retry_policy=TRANSIENT_RETRY,
          group_name="ingest", kinds={"postgres"}, tags={"glyph/stage": "chunk"})
@retry_transient
def chunks(context: dg.AssetExecutionContext, config: ChunkConfig, graph_store: GraphStore) -> Materialized:
    """Token windows of each document's text, with stable positions and content hashes (file_chunks)."""
    spec = ChunkSpec(max_tokens=config.max_tokens, overlap_tokens=config.overlap_tokens, max_chars=config.max_chars)
    tokenizer = load_tokenizer()
    written = cut = 0
    tokens: list[int] = []
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        with graph_store.tenant_lock(tenant.id):
            todo = graph_store.chunks.files_to_chunk(tenant.id)
            for done, file_ids in enumerate(batched(todo, FILES_PER_TX), 1):
                records = chunk_records(graph_store.chunks.texts(tenant.id, file_ids), tokenizer, spec)
                graph_store.chunks.write(tenant.id, file_ids, records)
                written += len(records)
                cut += sum(1 for r in records if r.cut_chars)
                tokens += [r.token_count for r in records]
                log_event(context, f"chunked {min(done * FILES_PER_TX, len(todo))}/{len(todo)} documents",
                          tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug, "documents_chunked": len(todo), "chunks_written": written,
        "chunks_cut_at_max_chars": cut, "tokens_per_chunk_mean": round(sum(tokens) / len(tokens), 1) if tokens else 0,
        "tokens_per_chunk_max": max(tokens, default=0), "max_tokens": spec.max_tokens,
        "overlap_tokens": spec.overlap_tokens, "max_chars": spec.max_chars, "duration_s": clock.seconds})
