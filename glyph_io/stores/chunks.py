"""Chunks (file_chunks) of the tenant's documents."""

from __future__ import annotations

from uuid import UUID

from glyph_core.models import ChunkRecord, DocumentText
from glyph_io.bulk import merge
from glyph_io.database import Database, execute, rows, values


class ChunkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def files_to_chunk(self, tenant_id: str) -> list[UUID]:
        """Live files whose text changed since they were last chunked (ids; texts are read per batch)."""
        with self._db.tenant(tenant_id) as conn:
            return values(conn, "files_to_chunk", {"tenant_id": tenant_id})

    def texts(self, tenant_id: str, file_ids: list[UUID]) -> list[DocumentText]:
        with self._db.tenant(tenant_id) as conn:
            return rows(conn, "file_texts", {"tenant_id": tenant_id, "file_ids": file_ids}, DocumentText)

    def write(self, tenant_id: str, file_ids: list[UUID], chunks: list[ChunkRecord]) -> dict[str, int]:
        """Replace the chunks of these files by `chunks` in one transaction: unchanged chunks are not rewritten
        (their vectors stay valid), chunks past a file's new end go, and the files are marked chunked."""
        params = {"tenant_id": tenant_id, "file_ids": file_ids}
        with self._db.tenant(tenant_id) as conn:
            touched = merge(conn, "chunks", ((c.file_id, c.chunk_index, c.chunk_text, c.content_hash, c.token_count,
                                              c.start_token, c.cut_chars) for c in chunks),
                            ["upsert_chunks", "delete_stale_chunks"], params)
            execute(conn, "mark_files_chunked", params)
        return touched
