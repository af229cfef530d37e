"""Synthetic multi-tenant graph: clustered 384-d vectors, skewed tenants, edges, 30 days of glyphs, binary COPY.

Everything is generated with numpy straight into PostgreSQL's binary COPY format (one structured array per batch,
no per-row Python), written through a queued writer so generation overlaps with the server parsing the stream.

The load runs as the bootstrap superuser with `session_replication_role = replica`: the product's triggers (audit,
history, change outbox, cross-tenant checks, foreign keys) do NOT fire for the synthetic rows; the data is
consistent by construction (every edge and glyph references a node of its own tenant). On a fresh dedicated bench
database the secondary indexes are dropped before the COPY and rebuilt afterwards with the very definitions the
migrations created (sort-based builds are much faster than a million random index inserts); constraint indexes
(primary and unique keys) stay in place.
"""

from __future__ import annotations

import json
import math
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from glyph_tools.bench import BENCH_PREFIX, BenchDB, first

DIM = 384
PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
BATCH = 20_000
LOADED_TABLES = ("nodes_v2", "edges_v2", "glyphs_4d")
EDGE_TYPES = ("next", "similar_to", "relates_to", "references", "derives_from", "influences", "contains")

Log = Callable[[str], None]


# --------------------------------------------------------------------------------------------- shape


@dataclass(frozen=True)
class Scale:
    tenants: int = 20
    nodes: int = 1_000_000          # total over all tenants
    edges_per_node: int = 5
    days: int = 30
    glyph_fraction: float = 0.1     # share of a tenant's nodes with a glyph per day
    seed: int = 42
    tenant_topics: bool = False     # each tenant's vectors from its own topics (VectorModel.tenant_centres)

    @classmethod
    def named(cls, name: str) -> "Scale":
        return {"tiny": cls(tenants=2, nodes=4_000, days=3), "default": cls()}[name]


ZIPF_FROM = 100  # tenants: from this many on, the tenants after the fixed ones get Zipf-like sizes
ZIPF_S = 0.7


def tenant_shares(n: int) -> list[float]:
    """Skewed tenant sizes: 50 %, 10 %, 1 %, 0.01 % of the rows, the rest split evenly (so every size class
    exists; with 20 tenants the even ones hold 2.4 % each, the band where neither exact search nor HNSW is cheap).
    With ZIPF_FROM tenants or more (the 10,000-tenant variant) a 2.4 % tenant is fixed too and the rest share what
    is left Zipf-like (rank^-0.7): a few thousand rows at the head, a long tail of tenants with a few dozen."""
    if n <= 1:
        return [1.0]
    if n >= ZIPF_FROM:
        fixed = [0.5, 0.1, 0.024, 0.01, 0.0001]
        weights = [(rank + 1) ** -ZIPF_S for rank in range(n - len(fixed))]
        scale = (1.0 - sum(fixed)) / sum(weights)
        return fixed + [w * scale for w in weights]
    fixed = [0.5, 0.1, 0.01, 0.0001][: n - 1]
    rest = (1.0 - sum(fixed)) / (n - len(fixed))
    return fixed + [rest] * (n - len(fixed))


def tenant_sizes(scale: Scale) -> list[int]:
    sizes = [max(scale.edges_per_node + 2, int(round(scale.nodes * s))) for s in tenant_shares(scale.tenants)]
    sizes[-1] += scale.nodes - sum(sizes) if sum(sizes) < scale.nodes else 0
    return sizes


def bench_slug(i: int) -> str:
    return f"{BENCH_PREFIX}{i:02d}"


# --------------------------------------------------------------------------------------------- vectors


class VectorModel:
    """Sentence-embedding-like vectors: a topic hierarchy on the sphere plus low-rank local variation.

    200 topics x 20 subtopics = 4,000 cluster centres (subtopic = topic + 0.8 x noise, normalised); a point is
    centre + 0.55 x (a 16-dim latent through a fixed random basis) + 0.2 x isotropic noise, normalised. So
    neighbours share a subtopic (cosine ~0.7), related subtopics ~0.4, unrelated ~0, and the local intrinsic
    dimension is low (16 + small noise) as in real sentence embeddings, instead of isotropic 384-d noise, which is
    the adversarial case for HNSW (see docs: recall on hard synthetic vectors was 0.73 at ef_search 100).
    """

    topics, subtopics, latent = 200, 20, 16
    local_scale, noise_scale = 0.55, 0.2

    def __init__(self, seed: int = 42) -> None:
        rng = np.random.default_rng(seed)
        topic = _normalise(rng.standard_normal((self.topics, DIM), dtype=np.float32))
        sub = np.repeat(topic, self.subtopics, axis=0) + 0.8 * _normalise(
            rng.standard_normal((self.topics * self.subtopics, DIM), dtype=np.float32))
        self.centres = _normalise(sub)
        basis, _ = np.linalg.qr(rng.standard_normal((DIM, self.latent)).astype(np.float32))
        self.basis = np.ascontiguousarray(basis.T, dtype=np.float32)  # latent x DIM, orthonormal rows
        self._pool: np.ndarray | None = None

    @property
    def description(self) -> str:
        return (f"clustered synthetic: {self.topics} topics x {self.subtopics} subtopics = "
                f"{len(self.centres)} centres on the unit sphere, point = centre + {self.local_scale} x "
                f"{self.latent}-d latent + {self.noise_scale} x isotropic Gaussian noise (rows of a 65,536-vector pool), "
                "L2-normalised (float32, 384-d)")

    def tenant_centres(self, slug: str, nodes: int) -> np.ndarray:
        """The subtopic centres of one tenant's documents in the tenant-topical variant: a tenant covers a few
        topics when small and all of them when it holds half the rows (round(sqrt(nodes) / 3.5) topics, 3 to 200:
        100 nodes 3, 10,000 nodes 29, 100,000 nodes 90), chosen by its slug, so loader and queries agree. Real
        tenants write about their own subjects; the default (every tenant over every topic) is the worst case for
        a filtered HNSW scan."""
        k = min(self.topics, max(3, round(math.sqrt(nodes) / 3.5)))
        chosen = np.random.default_rng(zlib.crc32(slug.encode())).choice(self.topics, k, replace=False)
        return np.asarray((chosen[:, None] * self.subtopics + np.arange(self.subtopics)[None, :]).ravel(), np.int64)

    def sample(self, n: int, rng: np.random.Generator, centres: np.ndarray | None = None) -> np.ndarray:
        """n points; around `centres` (indices into self.centres) only, when given."""
        c = rng.integers(0, len(self.centres), n) if centres is None else \
            np.asarray(centres[rng.integers(0, len(centres), n)], dtype=np.int64)
        z = rng.standard_normal((n, self.latent), dtype=np.float32)
        z *= self.local_scale / math.sqrt(self.latent)
        x = self.centres[c]
        x += z @ self.basis
        # isotropic part: rows of a fixed pool of Gaussian noise (drawing 384 normals per point dominated the load)
        x += self._noise[rng.integers(0, len(self._noise), n)]
        x /= np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
        return x

    @property
    def _noise(self) -> np.ndarray:
        if self._pool is None:
            rng = np.random.default_rng(12345)
            self._pool = rng.standard_normal((1 << 16, DIM), dtype=np.float32) * (self.noise_scale / math.sqrt(DIM))
        return self._pool


def _normalise(x: np.ndarray) -> np.ndarray:
    normalised: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return normalised


# --------------------------------------------------------------------------------------------- binary COPY rows


def _tuple_dtype(fields: list[tuple[str, Any]]) -> np.dtype:
    """A packed big-endian record = one COPY tuple: int16 field count, then (int32 length, value) per field."""
    spec: list[tuple[str, Any]] = [("nf", ">i2")]
    for name, dt in fields:
        spec.append((f"len_{name}", ">i4"))
        if isinstance(dt, list):  # composite value (vector: dim, unused, floats)
            spec.extend(dt)
        else:
            spec.append((name, dt))
    return np.dtype(spec)


def _records(n: int, fields: list[tuple[str, Any]], lengths: dict[str, int]) -> np.ndarray:
    rec = np.zeros(n, dtype=_tuple_dtype(fields))
    rec["nf"] = len(fields)
    for name, _ in fields:
        rec[f"len_{name}"] = lengths[name]
    return rec


def _digits(nums: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of each number as an (n, width) ASCII array."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((nums[:, None] // powers) % 10 + 48).astype(np.uint8)


def _text(prefix: bytes, nums: np.ndarray, width: int) -> np.ndarray:
    pre = np.frombuffer(prefix, dtype=np.uint8)
    out = np.concatenate([np.broadcast_to(pre, (len(nums), len(pre))), _digits(nums, width)], axis=1)
    return np.ascontiguousarray(out).view(f"S{len(pre) + width}").ravel()


def make_ids(prefix: int, start: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 16) uuid bytes, ordered within a run: 4 bytes run prefix, 4 bytes sequence, 8 random bytes."""
    out = np.empty((n, 16), dtype=np.uint8)
    head = (np.uint64(prefix) << np.uint64(32)) | np.arange(start, start + n, dtype=np.uint64)
    out[:, :8] = head.astype(">u8").view(np.uint8).reshape(n, 8)
    out[:, 8:] = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    out[:, 6] = (out[:, 6] & 0x0F) | 0x80  # version nibble 8 (custom), variant bits below
    out[:, 8] = (out[:, 8] & 0x3F) | 0x80
    return out


def _uuid_field(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids).view("V16").ravel()


def _micros(ts: datetime) -> int:
    return int((ts - PG_EPOCH).total_seconds() * 1_000_000)


NODE_FIELDS: list[tuple[str, Any]] = [
    ("id", "V16"), ("tenant_id", "V16"), ("kind", "S5"), ("name", "S20"), ("external_key", "S15"),
    ("embedding_384", [("vdim", ">i2"), ("vunused", ">i2"), ("vec", ">f4", (DIM,))]),
    ("created_at", ">i8"), ("updated_at", ">i8"),
]
NODE_COLUMNS = "id, tenant_id, kind, name, external_key, embedding_384, created_at, updated_at"
NODE_LENGTHS = {"id": 16, "tenant_id": 16, "kind": 5, "name": 20, "external_key": 15,
                "embedding_384": 4 + 4 * DIM, "created_at": 8, "updated_at": 8}


def _edge_fields(type_len: int) -> list[tuple[str, Any]]:
    return [("id", "V16"), ("tenant_id", "V16"), ("src_id", "V16"), ("dst_id", "V16"),
            ("edge_type", f"S{type_len}"), ("weight", ">f8"), ("created_at", ">i8"), ("updated_at", ">i8")]


EDGE_COLUMNS = "id, tenant_id, src_id, dst_id, edge_type, weight, created_at, updated_at"

GLYPH_FIELDS: list[tuple[str, Any]] = [
    ("id", "V16"), ("tenant_id", "V16"), ("type", "S13"), ("x", ">f8"), ("y", ">f8"), ("z", ">f8"),
    ("t", ">i8"), ("related_node_id", "V16"), ("created_at", ">i8"),
]
GLYPH_COLUMNS = "id, tenant_id, type, x, y, z, t, related_node_id, created_at"
GLYPH_LENGTHS = {"id": 16, "tenant_id": 16, "type": 13, "x": 8, "y": 8, "z": 8, "t": 8, "related_node_id": 16,
                 "created_at": 8}


# --------------------------------------------------------------------------------------------- database set-up


def ensure_database(db: BenchDB, log: Log = print) -> None:
    """The bench database (same cluster, owner glyph_owner, extension by the superuser) with every migration."""
    from glyph_io.sql import migrate

    if not db.is_main:
        admin = db.superuser.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db.database,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER glyph_owner").format(sql.Identifier(db.database)))
                log(f"created database {db.database}")
        with psycopg.connect(db.superuser, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    applied = migrate(db.owner)
    if applied:
        log(f"migrated {db.database}: {', '.join(applied)}")


def bench_tenants(db: BenchDB) -> list[tuple[str, str]]:
    """(id, slug) of the bench tenants, in slug order (superuser read: tenants rows are RLS-protected)."""
    with psycopg.connect(db.superuser, autocommit=True) as conn:
        rows = conn.execute("SELECT id::text, slug FROM tenants WHERE slug LIKE %s ORDER BY slug",
                            (BENCH_PREFIX + "%",)).fetchall()
    return [(r[0], r[1]) for r in rows]


def _tenant_tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t"
        " USING (table_schema, table_name) WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'"
        " AND t.table_type = 'BASE TABLE' ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def drop_bench_tenants(dsn_superuser: str, log: Log = print, slug_like: str = BENCH_PREFIX + "%",
                       allow_truncate: bool = True) -> int:
    """Delete every `bench-` tenant and all its rows (every table with a tenant_id), triggers off (replica).

    With triggers off nothing cascades by itself, so each table is cleared explicitly; when the bench tenants own
    every row of a table it is truncated instead (the common case in the dedicated bench database; never with
    allow_truncate=False, i.e. in a database others write to concurrently).
    """
    with psycopg.connect(dsn_superuser) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM tenants WHERE slug LIKE %s", (slug_like,)).fetchall()]
        if not ids:
            conn.rollback()
            return 0
        conn.execute("SET session_replication_role = replica")
        tables = _tenant_tables(conn)
        whole: list[str] = []
        for table in tables:
            others = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE tenant_id <> ALL(%s))")
                                  .format(sql.Identifier(table)), (ids,)).fetchone()
            if others and not others[0]:
                whole.append(table)
        truncated = False
        if whole and allow_truncate:
            try:
                with conn.transaction():  # savepoint: TRUNCATE refuses when a referencing table is not in the list
                    conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, whole))))
                truncated = True
            except psycopg.errors.FeatureNotSupported:
                truncated = False
        for table in tables:
            if truncated and table in whole:
                continue
            conn.execute(sql.SQL("DELETE FROM {} WHERE tenant_id = ANY(%s)").format(sql.Identifier(table)), (ids,))
        conn.execute("DELETE FROM tenants WHERE id = ANY(%s)", (ids,))
        conn.commit()
    log(f"dropped {len(ids)} bench tenants and their rows")
    return len(ids)


def _index_defs_path(db: BenchDB) -> Path:
    from glyph_tools.services import state_dir

    return state_dir() / f"bench-index-defs-{db.database}.json"


def _secondary_indexes(conn: psycopg.Connection[Any]) -> dict[str, str]:
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = ANY(ARRAY['nodes_v2', 'edges_v2', 'glyphs_4d']::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)").fetchall()
    # indexes over the columns the synthetic load leaves NULL cost nothing during the COPY: keep them
    return {r[0]: r[1] for r in rows if "embedding_768" not in r[1] and "embedding_1536" not in r[1]}


def drop_secondary_indexes(db: BenchDB, log: Log = print) -> dict[str, str]:
    """Remember (on disk, so a crash cannot lose them) and drop the non-constraint indexes of the loaded tables."""
    path = _index_defs_path(db)
    saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    with psycopg.connect(db.owner, autocommit=True) as conn:
        defs = _secondary_indexes(conn)
        saved.update(defs)
        path.write_text(json.dumps(saved, indent=1))
        for name in defs:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
    log(f"dropped {len(defs)} secondary indexes for the bulk load (definitions kept in {path.name})")
    return saved


def rebuild_indexes(db: BenchDB, log: Log = print) -> dict[str, float]:
    """Recreate every remembered index that is missing (owner role); returns seconds per index."""
    path = _index_defs_path(db)
    if not path.exists():
        return {}
    saved: dict[str, str] = json.loads(path.read_text())
    took: dict[str, float] = {}
    with psycopg.connect(db.owner, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '4GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        present = set(_secondary_indexes(conn))
        # btree first, the HNSW build last (it dominates)
        for name, ddl in sorted(saved.items(), key=lambda kv: (" hnsw " in kv[1], kv[0])):
            if name in present:
                continue
            started = time.perf_counter()
            conn.execute(ddl.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
                         .replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1))
            took[name] = time.perf_counter() - started
            log(f"  index {name:40} {took[name]:7.1f} s")
    path.unlink()
    return took


# --------------------------------------------------------------------------------------------- generation


@dataclass
class LoadStats:
    scale: dict[str, Any]
    tenants: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    copy_seconds: dict[str, float] = field(default_factory=dict)
    index_seconds: dict[str, float] = field(default_factory=dict)
    vacuum_analyze_seconds: float = 0.0
    total_seconds: float = 0.0
    vectors: str = ""
    method: str = ""

    def rates(self) -> dict[str, float]:
        return {t: self.rows[t] / self.copy_seconds[t] for t in self.rows if self.copy_seconds.get(t)}


def _node_batches(tenant_id: bytes, ids: np.ndarray, start_num: int, model: VectorModel, rng: np.random.Generator,
                  t0: int, span: int, centres: np.ndarray | None = None) -> Iterator[bytes]:
    n = len(ids)
    tid = np.frombuffer(tenant_id, dtype="V16")[0]
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        rec = _records(hi - lo, NODE_FIELDS, NODE_LENGTHS)
        nums = np.arange(start_num + lo, start_num + hi, dtype=np.int64)
        rec["id"] = _uuid_field(ids[lo:hi])
        rec["tenant_id"] = tid
        rec["kind"] = b"chunk"
        rec["name"] = _text(b"bench chunk ", nums, 8)
        rec["external_key"] = _text(b"bench:", nums, 9)
        rec["vdim"] = DIM
        rec["vec"] = model.sample(hi - lo, rng, centres)
        created = t0 + (np.arange(lo, hi, dtype=np.int64) * span) // max(1, n)
        rec["created_at"] = created
        rec["updated_at"] = created
        yield rec.tobytes()


def _edge_batches(tenant_id: bytes, ids: np.ndarray, per_node: int, prefix: int, start: int,
                  rng: np.random.Generator, t0: int, span: int) -> Iterator[bytes]:
    """`per_node` distinct out-edges per node: offset 1 (`next`) plus one random offset from each of
    per_node-1 disjoint ranges of [2, n-1], so no duplicates and no self-loops."""
    n = len(ids)
    tid = np.frombuffer(tenant_id, dtype="V16")[0]
    bounds = np.linspace(2, n, per_node, dtype=np.int64)  # per_node-1 ranges [b_j, b_j+1)
    seq = start
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        src = np.arange(lo, hi, dtype=np.int64)
        for j in range(per_node):
            etype = EDGE_TYPES[j % len(EDGE_TYPES)].encode()
            fields = _edge_fields(len(etype))
            lengths = {"id": 16, "tenant_id": 16, "src_id": 16, "dst_id": 16, "edge_type": len(etype), "weight": 8,
                       "created_at": 8, "updated_at": 8}
            if j == 0:
                off = np.ones(hi - lo, dtype=np.int64)
            else:
                a, b = int(bounds[j - 1]), int(max(bounds[j], bounds[j - 1] + 1))
                off = rng.integers(a, b, hi - lo)
            dst = (src + off) % n
            rec = _records(hi - lo, fields, lengths)
            rec["id"] = _uuid_field(make_ids(prefix, seq, hi - lo, rng))
            seq += hi - lo
            rec["tenant_id"] = tid
            rec["src_id"] = _uuid_field(ids[lo:hi])
            rec["dst_id"] = _uuid_field(ids[dst])
            rec["edge_type"] = etype
            rec["weight"] = rng.random(hi - lo)
            created = t0 + (src * span) // max(1, n)
            rec["created_at"] = created
            rec["updated_at"] = created
            yield rec.tobytes()


def _glyph_batches(tenant_id: bytes, ids: np.ndarray, days: list[datetime], fraction: float, prefix: int,
                   start: int, rng: np.random.Generator) -> Iterator[bytes]:
    """Per day window (t = UTC midnight, like the pipeline's `visualization` glyphs) a distinct random subset."""
    n = len(ids)
    tid = np.frombuffer(tenant_id, dtype="V16")[0]
    per_day = max(1, int(round(n * fraction)))
    seq = start
    for day in days:
        chosen = rng.choice(n, per_day, replace=False) if per_day < n else np.arange(n)
        chosen.sort()
        t = _micros(day)
        for lo in range(0, per_day, BATCH):
            hi = min(per_day, lo + BATCH)
            rec = _records(hi - lo, GLYPH_FIELDS, GLYPH_LENGTHS)
            rec["id"] = _uuid_field(make_ids(prefix, seq, hi - lo, rng))
            seq += hi - lo
            rec["tenant_id"] = tid
            rec["type"] = b"visualization"
            xyz = rng.standard_normal((hi - lo, 3))
            rec["x"], rec["y"], rec["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
            rec["t"] = t
            rec["related_node_id"] = _uuid_field(ids[chosen[lo:hi]])
            rec["created_at"] = t + 3_600_000_000
            yield rec.tobytes()


class _Prefetch:
    """Generate batches in a background thread (numpy releases the GIL) while the COPY streams the previous."""

    def __init__(self, gen: Iterator[bytes], depth: int = 4) -> None:
        self._q: queue.Queue[bytes | BaseException | None] = queue.Queue(depth)
        self._t = threading.Thread(target=self._run, args=(gen,), daemon=True)
        self._t.start()

    def _run(self, gen: Iterator[bytes]) -> None:
        try:
            for item in gen:
                self._q.put(item)
            self._q.put(None)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            self._q.put(exc)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, batches: Iterator[bytes]) -> int:
    nbytes = 0
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", writer=QueuedLibpqWriter(cur)) as cp:
            cp.write(COPY_SIGNATURE)
            for chunk in _Prefetch(batches):
                cp.write(chunk)
                nbytes += len(chunk)
            cp.write(COPY_TRAILER)
    return nbytes


def load(db: BenchDB, scale: Scale, log: Log = print) -> LoadStats:
    """Replace the bench tenants with a freshly generated graph of `scale`; returns counts and rates."""
    from glyph_io.sql import load_sql

    started = time.perf_counter()
    stats = LoadStats(scale=scale.__dict__.copy())
    drop_bench_tenants(db.superuser, log, allow_truncate=not db.is_main)
    model = VectorModel(scale.seed)
    stats.vectors = model.description + (", each tenant over its own topics" if scale.tenant_topics else "")
    rng = np.random.default_rng(scale.seed + 1)
    run_prefix = int(rng.integers(1, 2**31))

    with psycopg.connect(db.superuser, autocommit=True) as conn:
        fresh = not first(conn.execute("SELECT EXISTS (SELECT 1 FROM nodes_v2)"))
    bulk = fresh and not db.is_main and scale.nodes >= 50_000
    if bulk:
        drop_secondary_indexes(db, log)

    sizes = tenant_sizes(scale)
    tenants: list[tuple[str, str, int]] = []
    with psycopg.connect(db.owner, autocommit=True) as conn:  # the product's provisioning path (owner role)
        for i, size in enumerate(sizes):
            slug = bench_slug(i)
            row = conn.execute(load_sql("create_tenant"),
                               {"id": None, "slug": slug, "name": f"Bench tenant {i:02d}"}).fetchone()
            assert row is not None  # INSERT ... RETURNING
            tenants.append((str(row[0]), slug, size))
    stats.tenants = [{"id": t, "slug": s, "nodes": n, "share": n / sum(sizes)} for t, s, n in tenants]

    now = datetime.now(timezone.utc)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=scale.days - 1 - d) for d in range(scale.days)]
    t0, span = _micros(today - timedelta(days=scale.days - 1)), _micros(now) - _micros(today - timedelta(days=scale.days - 1))
    import uuid as _uuid

    node_ids: list[np.ndarray] = []
    start = 0
    for _, _, size in tenants:
        node_ids.append(make_ids(run_prefix, start, size, rng))
        start += size

    with psycopg.connect(db.superuser) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        for table in LOADED_TABLES:
            t_started = time.perf_counter()
            rows = 0
            num = seq = 0
            for (tid, slug, size), ids in zip(tenants, node_ids):
                tb = _uuid.UUID(tid).bytes
                if table == "nodes_v2":
                    centres = model.tenant_centres(slug, size) if scale.tenant_topics else None
                    _copy(conn, table, NODE_COLUMNS, _node_batches(tb, ids, num, model, rng, t0, span, centres))
                    num += size
                    rows += size
                elif table == "edges_v2":
                    _copy(conn, table, EDGE_COLUMNS,
                          _edge_batches(tb, ids, scale.edges_per_node, run_prefix + 1, seq, rng, t0, span))
                    seq += size * scale.edges_per_node
                    rows += size * scale.edges_per_node
                else:
                    per_day = max(1, int(round(size * scale.glyph_fraction)))
                    _copy(conn, table, GLYPH_COLUMNS,
                          _glyph_batches(tb, ids, days, scale.glyph_fraction, run_prefix + 2, seq, rng))
                    seq += per_day * len(days)
                    rows += per_day * len(days)
            conn.commit()
            stats.rows[table] = rows
            stats.copy_seconds[table] = time.perf_counter() - t_started
            log(f"  COPY {table:10} {rows:>10,} rows in {stats.copy_seconds[table]:6.1f} s "
                f"= {rows / stats.copy_seconds[table]:>9,.0f} rows/s")

    if bulk:
        stats.index_seconds = rebuild_indexes(db, log)
    t_v = time.perf_counter()
    with psycopg.connect(db.owner, autocommit=True) as conn:
        for table in LOADED_TABLES:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    stats.vacuum_analyze_seconds = time.perf_counter() - t_v
    stats.total_seconds = time.perf_counter() - started
    stats.method = ("binary COPY (numpy-built tuples, queued writer) as the bootstrap superuser with "
                    "session_replication_role = replica (triggers and FK checks skipped); "
                    + ("secondary indexes dropped before and rebuilt after the load" if bulk
                       else "indexes maintained during the load"))
    return stats
