"""Source documents (files) and refused objects (ingest_quarantine) of a tenant."""

from __future__ import annotations

from dataclasses import asdict, replace

import psycopg

from glyph_core.models import FileRecord, KnownFile, Quarantine
from glyph_io.database import Database, execute, rows
from glyph_io.sql import load_sql

TEXT_TOO_LARGE = "text_too_large"


class DocumentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def known(self, tenant_id: str) -> dict[str, KnownFile]:
        """Every object key the database knows for the tenant, with what ingest compares the listing against."""
        with self._db.tenant(tenant_id) as conn:
            return {f.storage_path: f for f in rows(conn, "list_files", {"tenant_id": tenant_id}, KnownFile)}

    def write(self, tenant_id: str, files: list[FileRecord], refused: list[Quarantine],
              run_id: str) -> list[tuple[FileRecord, Quarantine]]:
        """Write file and quarantine rows in one transaction; returns the files a database limit refused.

        A document over a database limit (e.g. the files full-text index: a tsvector holds at most 1 MB) must not
        block its tenant: the batch is then written row by row and only the offenders are quarantined.
        """
        try:
            self._write(tenant_id, files, refused, run_id)
            return []
        except psycopg.errors.ProgramLimitExceeded:
            pass
        too_large: list[tuple[FileRecord, Quarantine]] = []
        for record in files:
            try:
                self._write(tenant_id, [record], [], run_id)
            except psycopg.errors.ProgramLimitExceeded as exc:
                reason = f"the extracted text exceeds a database limit ({str(exc).splitlines()[0]})"
                failed = replace(record, status="failed", text=None, content_hash=None,
                                 error=f"{TEXT_TOO_LARGE}: {reason}")
                why = Quarantine(record.storage_path, record.etag, TEXT_TOO_LARGE, reason, record.size_bytes)
                self._write(tenant_id, [failed], [why], run_id)
                too_large.append((failed, why))
        self._write(tenant_id, [], refused, run_id)
        return too_large

    def _write(self, tenant_id: str, files: list[FileRecord], refused: list[Quarantine], run_id: str) -> None:
        if not files and not refused:
            return
        with self._db.tenant(tenant_id) as conn, conn.cursor() as cur:
            if files:
                cur.executemany(load_sql("upsert_file").encode(),
                                [{**asdict(f), "tenant_id": tenant_id} for f in files])
            if refused:
                cur.executemany(load_sql("record_quarantine").encode(),
                                [{**asdict(q), "tenant_id": tenant_id, "run_id": run_id} for q in refused])

    def mark_deleted(self, tenant_id: str, keys: list[str]) -> int:
        """Objects that disappeared from the bucket: soft-delete their files; the graph stage propagates."""
        if not keys:
            return 0
        with self._db.tenant(tenant_id) as conn:
            return execute(conn, "mark_files_deleted", {"tenant_id": tenant_id, "keys": keys})
