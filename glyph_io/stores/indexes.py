"""The vector indexes on nodes_v2.embedding_384 (owner role: DDL) and the app query's recall, measured per tenant.

Two indexes, one per job. The contract's HNSW (`nodes_v2_emb384_hnsw_idx`) serves every table size. Once the table
is large, an IVFFlat index with lists = rows / 1000 joins it, because RLS filters *after* the index scan: for a
tenant holding 1 % of 1M rows, HNSW walks ~1,000 foreign candidates through its graph (p95 16.6-29 ms), while
IVFFlat reads five whole lists in page order and sorts them (p95 7.4-12.5 ms, recall@10 >= 0.95; README).
The planner picks between them, and exact search through the tenant index, by cost (sql/17-ivfflat-search-defaults.sql).
IVFFlat's lists are trained at build time, so the index is rebuilt when the table has grown or shrunk enough that
the list count is off by more than a tenth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psycopg import sql

from glyph_io.database import Conn, Database, array, execute, one, scalar, tuples, values
from glyph_io.sql import composable

INDEX = "nodes_v2_emb384_hnsw_idx"
IVF_INDEX = "nodes_v2_emb384_ivf_idx"


@dataclass(frozen=True)
class IndexStatus:
    method: str
    valid: bool
    bytes: int
    lists: int | None = None  # IVFFlat only


@dataclass(frozen=True)
class IvfSizing:
    """When the IVFFlat index exists and how many lists it has (pgvector's guidance: rows / 1000)."""

    min_rows: int = 200_000  # below this HNSW and exact search are fast for every tenant size
    rows_per_list: int = 1000
    min_lists: int = 100
    max_lists: int = 2000  # the k-means build needs memory growing with lists squared (build_memory_mb)
    resize_tolerance: float = 0.1  # rebuild when the list count is off by more than this share

    def lists(self, rows: int) -> int:
        """Target list count for a table of `rows` rows."""
        return max(self.min_lists, min(self.max_lists, round(rows / self.rows_per_list)))

    @staticmethod
    def build_memory_mb(lists: int) -> int:
        """maintenance_work_mem for the build. pgvector's k-means keeps 50 sample vectors per list (1,544 bytes each
        at 384 dims) and a float bound per sample and list (Elkan): 1,000 lists need 273 MB, more than the server
        default of 64 MB. A quarter more, plus 64 MB, at least 256 MB."""
        samples = 50 * lists
        return max(256, int((samples * 1544 + samples * lists * 4) * 1.25) // (1 << 20) + 64)

    def wanted(self, rows: int) -> bool:
        return rows >= self.min_rows

    def off(self, current_lists: int, rows: int) -> bool:
        """Whether an index with `current_lists` lists should be retrained for a table of `rows` rows."""
        target = self.lists(rows)
        return abs(current_lists - target) > self.resize_tolerance * target


@dataclass(frozen=True)
class BuildReport:
    hnsw: str  # what was done to each index: "none", "built", "rebuilt concurrently", ...
    ivfflat: str

    def __str__(self) -> str:
        return f"hnsw: {self.hnsw}; ivfflat: {self.ivfflat}"


class IndexStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def status(self, index: str = INDEX) -> IndexStatus | None:
        with self._db.owner() as conn:
            return one(conn, "index_status", {"index_name": index}, IndexStatus)

    def changes_since_build(self) -> tuple[int, int, bool]:
        """(live rows, rows changed since the last recorded HNSW build, whether a build was ever recorded)."""
        with self._db.owner() as conn:
            live, changes = tuples(conn, "table_change_stats")[0]
            last = scalar(conn, "get_index_maintenance", {"index_name": INDEX})
        return int(live), int(changes) - int(last or 0), last is not None

    def build(self, rebuild: bool, sizing: IvfSizing = IvfSizing()) -> BuildReport:
        """Create what is missing and rebuild what is stale, always CONCURRENTLY (readers and writers never block).
        `rebuild`: enough rows changed that both indexes should be rebuilt (HNSW tombstones, IVFFlat centroids)."""
        with self._db.owner() as conn:
            hnsw = bool(scalar(conn, "hnsw_available"))
            live, changes = (int(v) for v in tuples(conn, "table_change_stats")[0])
            hnsw_action = self._hnsw(conn, rebuild, changes) if hnsw else "unavailable (pgvector < 0.5)"
            # without HNSW the IVFFlat index is the only one: wanted as soon as every list can hold a row
            wanted = sizing.wanted(live) or (not hnsw and live >= sizing.min_lists)
            ivf_action = self._ivfflat(conn, rebuild, live, changes, sizing) if wanted else \
                f"not needed ({live:,} rows < {sizing.min_rows:,})"
        return BuildReport(hnsw_action, ivf_action)

    @staticmethod
    def _hnsw(conn: Conn, rebuild: bool, changes: int) -> str:
        current = one(conn, "index_status", {"index_name": INDEX}, IndexStatus)
        if current is None:
            execute(conn, "create_hnsw")
            action = "built"
        elif rebuild or not current.valid:  # an invalid index is the leftover of an interrupted build
            execute(conn, "rebuild_hnsw")
            action = "rebuilt concurrently"
        else:
            return "none"
        execute(conn, "record_index_build", {"index_name": INDEX, "method": "hnsw", "changes": changes})
        return action

    @staticmethod
    def _ivfflat(conn: Conn, rebuild: bool, live: int, changes: int, sizing: IvfSizing) -> str:
        current = one(conn, "index_status", {"index_name": IVF_INDEX}, IndexStatus)
        target = sizing.lists(live)
        if current is None:
            execute(conn, "set_build_memory", {"memory": f"{sizing.build_memory_mb(target)}MB"})
            conn.execute(composable("create_ivfflat").format(lists=sql.Literal(target)))
            action = f"built ({target} lists)"
        else:
            if current.lists is None or sizing.off(current.lists, live):
                conn.execute(composable("resize_ivfflat").format(lists=sql.Literal(target)))
                why = f"resized, {current.lists} -> {target} lists"
            elif not current.valid:  # the leftover of an interrupted build
                why = f"was invalid, {current.lists} lists"
            elif rebuild:
                why = f"rows changed, {current.lists} lists"
            else:
                return "none"
            execute(conn, "set_build_memory", {"memory": f"{sizing.build_memory_mb(target)}MB"})
            execute(conn, "rebuild_ivfflat")
            action = f"rebuilt concurrently ({why})"
        execute(conn, "record_index_build", {"index_name": IVF_INDEX, "method": "ivfflat", "changes": changes})
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
