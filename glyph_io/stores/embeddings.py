"""Chunk vectors (embeddings_v2) per model, found again by content hash so no text is encoded twice."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import numpy as np

from glyph_core.models import ChunkToEmbed
from glyph_io.bulk import merge
from glyph_io.database import Database, array, execute, rows, tuples


class EmbeddingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def to_embed(self, tenant_id: str, model: str, extractor: str | None = None) -> list[ChunkToEmbed]:
        """Chunks without a vector for `model` (or whose text changed since theirs was computed), or whose text
        `extractor` has not read yet."""
        with self._db.tenant(tenant_id) as conn:
            execute(conn, "hash_joins_only")
            return rows(conn, "chunks_to_embed", {"tenant_id": tenant_id, "model": model, "extractor": extractor},
                        ChunkToEmbed)

    def known(self, tenant_id: str, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors the tenant already has for these chunk texts under `model` (by content hash)."""
        if not hashes:
            return {}
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "vectors_by_hash", {"tenant_id": tenant_id, "model": model, "hashes": list(hashes)},
                           binary=True)
        return {h: array(v) for h, v in found}

    def write(self, tenant_id: str, model: str, vectors: Sequence[tuple[UUID, str, np.ndarray]]) -> int:
        """One row per (chunk, model); a chunk whose hash did not change keeps its row."""
        if not vectors:
            return 0
        with self._db.tenant(tenant_id) as conn:
            touched = merge(conn, "embeddings", vectors, ["upsert_embeddings"],
                            {"tenant_id": tenant_id, "model": model})
        return touched["upsert_embeddings"]

