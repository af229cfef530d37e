"""source_documents: the tenant's objects in S3, parsed; new and changed objects only; deletions recorded.

Input: objects under `<tenant slug>/` in the bucket. Output: `files` rows (text, hash, etag) and, for objects that
cannot be used, `ingest_quarantine` rows with a reason. Partitioned by tenant; backfill = re-run the partitions.
An unchanged object (same ETag) is never downloaded again; a changed ETag with unchanged content is only recorded.
"""


import json
import logging
import mimetypes
import time
from collections import Counter

import dagster as dg
import psycopg

from glyph_core.errors import QuarantinedDocument
from glyph_core.parsing import ParseLimits, parse_document, validate_object_key
from glyph_io.logs import log_event
from assets.partitions import tenant_partitions
from glyph_io.resources import GraphStore, ObjectStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql

FILE_TYPES = {"txt": "text", "md": "text", "html": "document", "htm": "document", "pdf": "document",
              "json": "json", "csv": "csv"}
COMMIT_EVERY = 50  # documents per transaction: a failure loses at most one batch of work, never half a document


@dg.asset(
    partitions_def=tenant_partitions,
    retry_policy=TRANSIENT_RETRY,
    group_name="ingest",
    kinds={"s3", "postgres"},
    tags={"glyph/stage": "ingest"},
)
@retry_transient
def source_documents(context: dg.AssetExecutionContext, graph_store: GraphStore,
                     object_store: ObjectStore) -> dg.MaterializeResult:
    """Parsed source documents of one tenant (files table), with quarantined objects and their reasons."""
    started = time.perf_counter()
    tenant = graph_store.tenant_by_slug(context.partition_key)
    prefix = f"{tenant.slug}/"
    limits = ParseLimits()
    with graph_store.tenant_lock(tenant.id):
        object_store.ensure_bucket()
        listing = object_store.list(prefix)
        with graph_store.tenant_tx(tenant.id) as conn:
            known = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(load_sql("list_files"), {"tenant_id": tenant.id})}
        present = {key for key, *_ in listing}
        todo = [(k, e, s, v) for k, e, s, v in listing if k not in known or known[k][0] != e or known[k][2]]
        removed = sorted(k for k, (_, _, deleted) in known.items() if k not in present and not deleted)
        counts: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        batch: list[dict[str, object]] = []
        quarantined: list[dict[str, object]] = []

        def flush() -> None:
            for row, reason in _write_batch(graph_store, tenant.id, batch, quarantined, context.run.run_id):
                log_event(context, f"quarantined {row['storage_path']}: text_too_large: {reason}", tenant=tenant.slug,
                          level=logging.WARNING)
                reasons["text_too_large"] += 1
                counts["quarantined"] += 1
                counts["parsed"] -= 1
            batch.clear()
            quarantined.clear()

        for i, (key, etag, size, version) in enumerate(todo, 1):
            row = _file_row(tenant.id, key, etag, size, version)
            try:
                relative_key = validate_object_key(key, prefix)
                if size > limits.max_bytes:
                    raise QuarantinedDocument("too_large", f"object is {size} bytes, over the {limits.max_bytes}-byte limit")
                doc = parse_document(relative_key, object_store.get(key), limits=limits)
                row.update(status="pending", text=doc.text, content_hash=doc.content_hash,
                           metadata=json.dumps({"title": doc.title, "format": doc.format, "tags": list(doc.tags),
                                                **doc.metadata}, default=str))
                counts["parsed"] += 1
            except QuarantinedDocument as exc:
                row.update(status="failed", error=f"{exc.reason_code}: {exc.reason}")
                quarantined.append({"tenant_id": tenant.id, "object_key": key, "etag": etag,
                                    "reason_code": exc.reason_code, "reason": exc.reason, "size_bytes": size,
                                    "run_id": context.run.run_id})
                reasons[exc.reason_code] += 1
                counts["quarantined"] += 1
                log_event(context, f"quarantined {key}: {exc.reason_code}: {exc.reason}", tenant=tenant.slug,
                          level=logging.WARNING)
            batch.append(row)
            if len(batch) >= COMMIT_EVERY:
                flush()
                log_event(context, f"{i}/{len(todo)} objects ingested", tenant=tenant.slug)
        flush()
        if removed:
            with graph_store.tenant_tx(tenant.id) as conn:
                conn.execute(load_sql("mark_files_deleted"), {"tenant_id": tenant.id, "keys": removed})
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug,
        "objects_listed": len(listing),
        "objects_new_or_changed": len(todo),
        "objects_unchanged_skipped": len(listing) - len(todo),
        "documents_parsed": counts["parsed"],
        "documents_quarantined": counts["quarantined"],
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        "objects_removed": len(removed),
        "duration_s": round(time.perf_counter() - started, 3),
    })


def _write_batch(graph_store: GraphStore, tenant_id: str, files: list[dict[str, object]],
                 refused: list[dict[str, object]], run_id: str) -> list[tuple[dict[str, object], str]]:
    """Write file and quarantine rows in one transaction; returns the rows a database limit refused.

    A document over a database limit (e.g. the files full-text index: a tsvector holds at most 1 MB) must not block
    its tenant: the batch is then written row by row and only the offenders are quarantined (`text_too_large`).
    """

    def write(rows: list[dict[str, object]], quarantine: list[dict[str, object]]) -> None:
        with graph_store.tenant_tx(tenant_id) as conn, conn.cursor() as cur:
            if rows:
                cur.executemany(load_sql("upsert_file"), rows)
            if quarantine:
                cur.executemany(load_sql("record_quarantine"), quarantine)

    if not files and not refused:
        return []
    try:
        write(files, refused)
        return []
    except psycopg.errors.ProgramLimitExceeded:
        pass
    too_large: list[tuple[dict[str, object], str]] = []
    for row in files:
        try:
            write([row], [])
        except psycopg.errors.ProgramLimitExceeded as exc:
            reason = f"the extracted text exceeds a database limit ({str(exc).splitlines()[0]})"
            row.update(status="failed", text=None, content_hash=None, error=f"text_too_large: {reason}")
            write([row], [{"tenant_id": tenant_id, "object_key": row["storage_path"], "etag": row["etag"],
                           "reason_code": "text_too_large", "reason": reason, "size_bytes": row["size_bytes"],
                           "run_id": run_id}])
            too_large.append((row, reason))
    write([], refused)
    return too_large


def _file_row(tenant_id: str, key: str, etag: str, size: int, version: str | None) -> dict[str, object]:
    ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
    return {"tenant_id": tenant_id, "filename": key.rsplit("/", 1)[-1][:255] or key, "storage_path": key,
            "file_type": FILE_TYPES.get(ext, "other"),
            "mime_type": mimetypes.guess_type(key)[0] or "application/octet-stream", "size_bytes": size,
            "storage_url": f"s3://{key}", "status": "failed", "error": None, "text": None, "structured": None,
            "metadata": "{}", "etag": etag, "version_id": version, "content_hash": None}
