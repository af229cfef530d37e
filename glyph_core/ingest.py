"""Which objects an ingest run reads, and the files/quarantine rows it writes for each (pure).

An unchanged object (same ETag) is never downloaded again; an object that disappeared is soft-deleted; a refused
object is recorded with its reason code once per version, and the run goes on.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterable, Mapping, Sequence

from glyph_core.errors import QuarantinedDocument
from glyph_core.models import FileRecord, IngestPlan, KnownFile, ObjectInfo, ParsedDocument, Quarantine
from glyph_core.parsing import ParseLimits, PdfTextReader, parse_document, validate_object_key

FILE_TYPES = {"txt": "text", "md": "text", "html": "document", "htm": "document", "pdf": "document",
              "json": "json", "csv": "csv"}
MAX_FILENAME_CHARS = 255


def plan_ingest(listing: Sequence[ObjectInfo], known: Mapping[str, KnownFile]) -> IngestPlan:
    """New objects, objects whose ETag changed and objects that came back after a delete are read; keys the
    database knows but the listing lacks are removed."""
    present = {o.key for o in listing}
    todo = tuple(o for o in listing
                 if o.key not in known or known[o.key].etag != o.etag or known[o.key].deleted)
    removed = tuple(sorted(k for k, f in known.items() if k not in present and not f.deleted))
    return IngestPlan(todo, removed, len(listing) - len(todo))


def admit(obj: ObjectInfo, prefix: str, limits: ParseLimits) -> str:
    """The tenant-relative key of an object worth downloading; raises QuarantinedDocument before any byte is read."""
    relative = validate_object_key(obj.key, prefix)
    if obj.size > limits.max_bytes:
        raise QuarantinedDocument("too_large", f"object is {obj.size} bytes, over the {limits.max_bytes}-byte limit")
    return relative


def _record(obj: ObjectInfo, status: str, *, error: str | None = None, text: str | None = None,
            content_hash: str | None = None, metadata: str = "{}") -> FileRecord:
    name = obj.key.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return FileRecord(storage_path=obj.key, filename=name[:MAX_FILENAME_CHARS] or obj.key[:MAX_FILENAME_CHARS],
                      file_type=FILE_TYPES.get(ext, "other"),
                      mime_type=mimetypes.guess_type(obj.key)[0] or "application/octet-stream", size_bytes=obj.size,
                      etag=obj.etag, version_id=obj.version_id, status=status, error=error, text=text,
                      content_hash=content_hash, metadata=metadata)


def parsed_record(obj: ObjectInfo, doc: ParsedDocument) -> FileRecord:
    metadata = json.dumps({"title": doc.title, "format": doc.format, "tags": list(doc.tags), **doc.metadata},
                          default=str)
    return _record(obj, "pending", text=doc.text, content_hash=doc.content_hash, metadata=metadata)


def refused_record(obj: ObjectInfo, error: QuarantinedDocument) -> tuple[FileRecord, Quarantine]:
    record = _record(obj, "failed", error=f"{error.reason_code}: {error.reason}")
    return record, Quarantine(obj.key, obj.etag, error.reason_code, error.reason, obj.size)


def read_batch(batch: Sequence[ObjectInfo], prefix: str, limits: ParseLimits,
               fetch: Callable[[list[str]], Iterable[bytes]],
               pdf_reader: PdfTextReader | None = None) -> tuple[list[FileRecord], list[Quarantine]]:
    """Files rows for a batch of objects, and why the refused ones were refused.

    `fetch(keys)` returns the objects' bytes in order and `pdf_reader` reads PDFs (the caller's I/O and process
    isolation); objects refused by key or size are never fetched. Any QuarantinedDocument becomes a refused row;
    everything else propagates (the run retries).
    """
    files: list[FileRecord] = []
    refused: list[Quarantine] = []
    admitted: list[tuple[ObjectInfo, str]] = []
    for obj in batch:
        try:
            admitted.append((obj, admit(obj, prefix, limits)))
        except QuarantinedDocument as exc:
            record, why = refused_record(obj, exc)
            files.append(record)
            refused.append(why)
    for (obj, relative), data in zip(admitted, fetch([o.key for o, _ in admitted])):
        try:
            files.append(parsed_record(obj, parse_document(relative, data, limits=limits, pdf_reader=pdf_reader)))
        except QuarantinedDocument as exc:
            record, why = refused_record(obj, exc)
            files.append(record)
            refused.append(why)
    return files, refused
