"""chunks: each changed document split into overlapping windows of the model's own tokens (file_chunks).

Token-aware: all-MiniLM-L6-v2 reads at most 256 WordPiece tokens and silently drops the rest, so windows are
measured with its tokenizer, never in words. Only files whose content changed since they were last chunked are
touched; chunk rows whose text is unchanged are not rewritten (their embeddings stay valid).
"""


import time

import dagster as dg
import polars as pl

from glyph_core.chunking import ChunkSpec, chunk_text, load_tokenizer
from glyph_io.logs import log_event
from assets.partitions import tenant_partitions
from glyph_io.resources import GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql

FILES_PER_TX = 100


class ChunkConfig(dg.Config):  # type: ignore[misc]
    max_tokens: int = 256
    overlap_tokens: int = 32


@dg.asset(
    partitions_def=tenant_partitions,
    deps=["source_documents"],
    retry_policy=TRANSIENT_RETRY,
    group_name="ingest",
    kinds={"postgres", "polars"},
    tags={"glyph/stage": "chunk"},
)
@retry_transient
def chunks(context: dg.AssetExecutionContext, config: ChunkConfig, graph_store: GraphStore) -> dg.MaterializeResult:
    """Token windows of each document's text, with stable positions and content hashes (file_chunks)."""
    started = time.perf_counter()
    tenant = graph_store.tenant_by_slug(context.partition_key)
    spec = ChunkSpec(max_tokens=config.max_tokens, overlap_tokens=config.overlap_tokens)
    tokenizer = load_tokenizer()
    total_files = total_chunks = 0
    token_counts: list[int] = []
    with graph_store.tenant_lock(tenant.id):
        with graph_store.tenant_tx(tenant.id) as conn:
            todo = conn.execute(load_sql("files_to_chunk"), {"tenant_id": tenant.id}).fetchall()
        for start in range(0, len(todo), FILES_PER_TX):
            batch = todo[start:start + FILES_PER_TX]
            rows = [(str(file_id), c.index, c.text, c.content_hash, c.token_count, c.start_token)
                    for file_id, _key, text, _hash in batch for c in chunk_text(text, tokenizer, spec)]
            frame = pl.DataFrame(rows, schema=["file_id", "chunk_index", "chunk_text", "content_hash", "token_count",
                                               "start_token"], orient="row")
            with graph_store.tenant_tx(tenant.id) as conn:
                conn.execute(load_sql("create_stage_chunks"))
                with conn.cursor().copy("COPY stage_chunks FROM STDIN") as copy:
                    for row in frame.iter_rows():
                        copy.write_row(row)
                conn.execute(load_sql("upsert_chunks"), {"tenant_id": tenant.id})
                conn.execute(load_sql("delete_stale_chunks"))
                conn.execute(load_sql("mark_files_chunked"), {"tenant_id": tenant.id,
                                                              "file_ids": [f[0] for f in batch]})
            total_files += len(batch)
            total_chunks += frame.height
            token_counts.extend(frame["token_count"].to_list())
            log_event(context, f"chunked {total_files}/{len(todo)} documents", tenant=tenant.slug)
    tokens = pl.Series(token_counts or [0])
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug,
        "documents_chunked": total_files,
        "chunks_written": total_chunks,
        "tokens_per_chunk_mean": round(float(tokens.mean() or 0), 1),
        "tokens_per_chunk_max": int(tokens.max() or 0),
        "max_tokens": spec.max_tokens,
        "overlap_tokens": spec.overlap_tokens,
        "duration_s": round(time.perf_counter() - started, 3),
    })
