"""Entity and concept mentions per chunk text (chunk_mentions), keyed like the vectors: by content hash."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from glyph_core.mentions import Mention
from glyph_io.bulk import stage
from glyph_io.database import Database, execute


class MentionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, tenant_id: str, extractor: str, found: Mapping[str, Sequence[Mention]]) -> int:
        """Record that `extractor` read these texts (content hash -> what it found), in one transaction; returns the
        mentions written."""
        if not found:
            return 0
        params = {"tenant_id": tenant_id, "extractor": extractor, "hashes": sorted(found)}
        with self._db.tenant(tenant_id) as conn:
            execute(conn, "insert_extractions", params)
            stage(conn, "mentions", ((h, m.key, m.kind, m.type, m.surface[:200], [s[:200] for s in m.surfaces[:8]],
                                      m.count, m.score, m.vector) for h, mentions in found.items() for m in mentions))
            return execute(conn, "insert_mentions", params)
