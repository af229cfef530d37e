"""The shared HNSW index on nodes_v2.embedding_384 (owner role: DDL) and its recall, measured per tenant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psycopg import sql

from glyph_io.database import Database, array, execute, one, scalar, tuples, values
from glyph_io.sql import composable

INDEX = "nodes_v2_emb384_hnsw_idx"


@dataclass(frozen=True)
class IndexStatus:
    method: str
    valid: bool
    bytes: int


class IndexStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def status(self) -> IndexStatus | None:
        with self._db.owner() as conn:
            return one(conn, "index_status", {"index_name": INDEX}, IndexStatus)

    def changes_since_build(self) -> tuple[int, int, bool]:
        """(live rows, rows changed since the last recorded build, whether a build was ever recorded)."""
        with self._db.owner() as conn:
            live, changes = tuples(conn, "table_change_stats")[0]
            last = scalar(conn, "get_index_maintenance", {"index_name": INDEX})
        return int(live), int(changes) - int(last or 0), last is not None

    def build(self, rebuild: bool) -> str:
        """Create the index (HNSW, or IVFFlat where pgvector lacks hnsw) or rebuild it concurrently; returns what
        was done. Readers and writers are never blocked (CONCURRENTLY)."""
        with self._db.owner() as conn:
            hnsw = bool(scalar(conn, "hnsw_available"))
            current = one(conn, "index_status", {"index_name": INDEX}, IndexStatus)
            if not hnsw:
                execute(conn, "create_ivfflat_fallback")
                action = "built ivfflat fallback (no hnsw access method)"
            elif current is None:
                execute(conn, "create_hnsw")
                action = "built hnsw"
            elif rebuild or not current.valid:  # an invalid index is the leftover of an interrupted build
                execute(conn, "rebuild_hnsw")
                action = "rebuilt concurrently"
            else:
                return "none"
            live, changes = tuples(conn, "table_change_stats")[0]
            execute(conn, "record_index_build", {"index_name": INDEX, "method": "hnsw" if hnsw else "ivfflat",
                                                 "changes": changes})
        return action

    def drop_tenant_indexes(self) -> int:
        """Drop per-tenant partial indexes of earlier versions (the app's RLS-only SQL never used them)."""
        with self._db.owner() as conn:
            names = values(conn, "list_tenant_hnsw")
            for name in names:
                conn.execute(composable("drop_tenant_hnsw").format(index=sql.Identifier(name)))
        return len(names)

    def recall(self, tenant_id: str, probes: int, k: int = 10) -> float | None:
        """recall@k of the app's vector query (RLS only) against exact search, for `probes` query vectors near the
        tenant's own (stored vectors moved by noise, so a query never finds itself)."""
        hits = total = 0
        rng = np.random.default_rng(7)
        with self._db.tenant(tenant_id) as conn:
            stored = values(conn, "recall_probe_nodes", {"tenant_id": tenant_id, "probes": probes})
            for vector in stored:
                q = array(vector) + rng.normal(0, 0.02, 384).astype(np.float32)
                params = {"q": q / np.linalg.norm(q), "k": k}
                approx = set(values(conn, "knn_search", params, prepare=False))
                execute(conn, "force_exact_search")
                exact = set(values(conn, "knn_exact", params, prepare=False))
                execute(conn, "reset_exact_search")
                hits += len(approx & exact)
                total += len(exact)
        return hits / total if total else None
