"""The entity layer of a tenant's graph: what it was built from, the mentions it is built of, and its writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from glyph_core.graph import EdgeRow, NodeRow
from glyph_core.knowledge import mention_frame
from glyph_core.mentions import CONCEPT, ENTITY, mention_key
from glyph_core.models import EntityCard, MentioningDocument, Neighbour
from glyph_core.quality import PredictedEntity
from glyph_io.bulk import stage
from glyph_io.database import Database, array, execute, rows, tuples
from glyph_io.stores.graph import node_row, stage_edges


class KnowledgeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def fingerprints(self, tenant_id: str, extractor: str) -> tuple[str, str | None]:
        """(fingerprint of the live chunks now, fingerprint the entity layer was last built from or None)."""
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "knowledge_fingerprint", {"tenant_id": tenant_id, "extractor": extractor})
        return str(found[0][0]), found[0][1]

    def mentions(self, tenant_id: str, extractor: str) -> pl.DataFrame:
        """One row per (document, chunk, key) over the live chunks (glyph_core.knowledge.MENTION_SCHEMA)."""
        with self._db.tenant(tenant_id) as conn:
            execute(conn, "hash_joins_only")
            found = tuples(conn, "knowledge_mentions", {"tenant_id": tenant_id, "extractor": extractor})
        return mention_frame(found)

    def vectors(self, tenant_id: str, extractor: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Normalised mean mention vector of each key (keys without a vector are absent)."""
        if not keys:
            return {}
        wanted = set(keys)
        with self._db.tenant(tenant_id) as conn:
            execute(conn, "hash_joins_only")
            found = tuples(conn, "knowledge_vectors", {"tenant_id": tenant_id, "extractor": extractor}, binary=True)
        out = {}
        for key, vec in found:
            if key not in wanted:
                continue
            v = array(vec).astype(np.float32)
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[key] = (v / norm).astype(np.float32)
        return out

    def write(self, tenant_id: str, model: str, nodes: Sequence[NodeRow], edges: Sequence[EdgeRow],
              fingerprint: str) -> dict[str, int]:
        """The whole layer in one transaction: upsert what changed, remove what nothing mentions any more, then
        record the fingerprint. Returns rows touched per statement."""
        params: dict[str, Any] = {"tenant_id": tenant_id, "model": model, "keep_concepts": False,
                                  "fingerprint": fingerprint}
        touched: dict[str, int] = {}
        with self._db.tenant(tenant_id) as conn:
            stage(conn, "nodes", (node_row(n) for n in nodes))
            touched["nodes_written"] = execute(conn, "upsert_nodes", params)
            stage_edges(conn, tenant_id, edges)
            touched["edges_removed"] = execute(conn, "delete_stale_knowledge_edges", params)
            touched["entities_removed"] = execute(conn, "delete_unmentioned_entities", params)
            touched["concepts_removed"] = execute(conn, "delete_unmentioned_concepts", params)
            touched["edges_written"] = execute(conn, "upsert_edges", params)
            execute(conn, "save_knowledge_state", params)
        return touched

    # ---------------------------------------------------------------------------------------- reading the layer

    def document_entities(self, tenant_id: str) -> dict[str, list[PredictedEntity]]:
        """Per document (object key), the entities its chunks reference (what the gold set is scored against)."""
        out: dict[str, list[PredictedEntity]] = {}
        with self._db.tenant(tenant_id) as conn:
            for key, name, aliases, kind in tuples(conn, "document_entities", {"tenant_id": tenant_id}):
                out.setdefault(key, []).append(PredictedEntity((name, *(aliases or [])), kind or "other"))
        return out

    def document_concepts(self, tenant_id: str) -> dict[str, list[str]]:
        """Per document (object key), its key concepts, best first."""
        out: dict[str, list[str]] = {}
        with self._db.tenant(tenant_id) as conn:
            for key, name in tuples(conn, "document_concepts", {"tenant_id": tenant_id}):
                out.setdefault(key, []).append(name)
        return out

    def find(self, tenant_id: str, name: str | None = None, limit: int = 20) -> list[EntityCard]:
        """Entity/concept nodes named (or aliased, or keyed) `name`; without a name, the most important ones."""
        keys = [k for k in (mention_key(ENTITY, name), mention_key(CONCEPT, name)) if k] if name else []
        with self._db.tenant(tenant_id) as conn:
            return rows(conn, "find_entities", {"tenant_id": tenant_id, "name": name, "keys": keys,
                                                "limit": limit}, EntityCard)

    def neighbours(self, tenant_id: str, node_id: Any, limit: int = 20) -> list[Neighbour]:
        with self._db.tenant(tenant_id) as conn:
            return rows(conn, "entity_neighbours", {"tenant_id": tenant_id, "node_id": node_id, "limit": limit},
                        Neighbour)

    def documents(self, tenant_id: str, node_id: Any, limit: int = 20) -> list[MentioningDocument]:
        with self._db.tenant(tenant_id) as conn:
            return rows(conn, "entity_documents", {"tenant_id": tenant_id, "node_id": node_id, "limit": limit},
                        MentioningDocument)
