"""The spec's five read operations, measured through the product's own path.

Every measured query runs as `glyph_app` (RLS-bound, NOBYPASSRLS) inside `GraphStore.tenant_tx` - the pipeline's
transaction-scoped tenant context (`set_config('app.tenant_id', id, true)`, pooled connections reset on return) -
as a prepared statement (psycopg `prepare=True`, binary results) after a warm-up pass. Two latencies are kept per iteration:
`query` = execute + fetch of the statement, `tx` = the whole tenant transaction (pool checkout, context, query,
commit) as a caller sees it. The vector search is the product's `knn_search.sql` (HNSW, database defaults for
ef_search / iterative scan from sql/12-vector-search-defaults.sql); its recall@10 is measured against the product's
`knn_exact.sql` (sequential/bitmap scan, `enable_indexscan = off`, never prepared: see stack.md's auto-prepare trap).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from glyph_io.graph_store import GraphStore
from glyph_io.sql import load_sql
from glyph_tools.bench import BENCH_PREFIX, BenchDB, first
from glyph_tools.bench.synthetic import VectorModel

Log = Callable[[str], None]

# key, spec label, spec target (ms), our goal for p95 at 1M nodes (ms)
OPERATIONS: list[tuple[str, str, float, float]] = [
    ("node_lookup", "Node lookup by ID", 10, 1),
    ("graph_query", "Graph query (300 nodes, 1500 edges)", 100, 20),
    ("vector_search", "Vector similarity search (top 10)", 50, 10),
    ("glyph_window", "Glyph temporal query (1 day window)", 30, 5),
    ("edge_traversal", "Edge traversal (1-hop)", 20, 2),
]
K = 10
GRAPH_NODES = 300
GLYPH_PAGE = 1000


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), p))


@dataclass
class OpResult:
    key: str
    label: str
    target_ms: float
    goal_ms: float
    query_ms: list[float] = field(default_factory=list)
    tx_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "operation": self.label, "key": self.key, "target_ms": self.target_ms, "goal_p95_ms": self.goal_ms,
            "iterations": len(self.query_ms),
            "p50_ms": percentile(self.query_ms, 50), "p95_ms": percentile(self.query_ms, 95),
            "p99_ms": percentile(self.query_ms, 99),
            "mean_ms": statistics.fmean(self.query_ms) if self.query_ms else float("nan"),
            "tx_p50_ms": percentile(self.tx_ms, 50), "tx_p95_ms": percentile(self.tx_ms, 95),
            "tx_p99_ms": percentile(self.tx_ms, 99),
            "rows_mean": statistics.fmean(self.rows) if self.rows else 0.0,
        }


@dataclass
class TenantTargets:
    id: str
    slug: str
    nodes: int
    node_ids: list[str]
    created: list[datetime]
    days: list[datetime]

    @property
    def share(self) -> float:
        return self._share

    _share: float = 0.0


def _store(db: BenchDB) -> GraphStore:
    # plan_cache_mode "": the database default, as the app's own sessions have it (not the pipeline's "auto")
    return GraphStore(app_dsn=db.app, owner_dsn=db.owner, actor="glyph-bench", pool_size=2, plan_cache_mode="")


def _targets(store: GraphStore, log: Log, want: int = 2000) -> list[TenantTargets]:
    tenants = [t for t in store.tenants.all() if t.slug.startswith(BENCH_PREFIX) and not t.slug.startswith("bench-pipe")]
    out: list[TenantTargets] = []
    for t in tenants:
        with store.db.tenant(t.id) as conn:
            n = first(conn.execute(load_sql("bench_count_nodes"), {"tenant_id": t.id}))
            if n == 0:
                continue
            pct = 300.0 * want / n
            rows = conn.execute(load_sql("bench_sample_nodes" if pct < 100 else "bench_tenant_nodes"),
                                {"tenant_id": t.id, "percent": pct, "limit": want}).fetchall()
            lo, hi = conn.execute(load_sql("bench_glyph_span"), {"tenant_id": t.id}).fetchall()[0]
        days: list[datetime] = []
        if lo is not None:
            d = lo.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
            while d <= hi:
                days.append(d)
                d += timedelta(days=1)
        out.append(TenantTargets(t.id, t.slug, n, [str(r[0]) for r in rows], [r[1] for r in rows], days))
    total = sum(target.nodes for target in out) or 1
    for target in out:
        target._share = target.nodes / total
    log(f"targets: {len(out)} bench tenants, {total:,} nodes, "
        f"{sum(len(t.node_ids) for t in out):,} sampled ids")
    return out


def _timed(store: GraphStore, tenant_id: str, query: str, params: dict[str, Any], prepare: bool = True,
           setup: str | None = None) -> tuple[float, float, list[Any]]:
    t0 = time.perf_counter()
    with store.db.tenant(tenant_id) as conn:
        if setup:
            conn.execute(setup)
        t1 = time.perf_counter()
        rows = conn.cursor(binary=True).execute(query, params, prepare=prepare).fetchall()
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    return (t2 - t1) * 1000, (t3 - t0) * 1000, rows


def _params(op: str, t: TenantTargets, rng: random.Random, qvec: str | None) -> dict[str, Any]:
    if op in ("node_lookup", "edge_traversal"):
        return {"tenant_id": t.id, "id": rng.choice(t.node_ids)}
    if op == "graph_query":
        return {"tenant_id": t.id, "before": rng.choice(t.created) + timedelta(microseconds=1), "nodes": GRAPH_NODES}
    if op == "glyph_window":
        day = rng.choice(t.days) if t.days else datetime.now(timezone.utc)
        return {"tenant_id": t.id, "start": day, "end": day + timedelta(days=1), "limit": GLYPH_PAGE}
    return {"tenant_id": t.id, "q": qvec, "k": K}


QUERY_FILE = {"node_lookup": "bench_node_lookup", "graph_query": "bench_graph_query",
              "vector_search": "knn_search", "glyph_window": "bench_glyph_window",
              "edge_traversal": "bench_edge_traversal"}


def _vec_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"


def _settings(store: GraphStore, tenant_id: str) -> dict[str, str]:
    names = ["hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples", "ivfflat.probes", "ivfflat.max_probes",
             "ivfflat.iterative_scan", "shared_buffers", "work_mem",
             "effective_cache_size", "random_page_cost", "jit", "plan_cache_mode"]
    out: dict[str, str] = {}
    with store.db.tenant(tenant_id) as conn:
        conn.execute("SELECT '[1]'::vector")
        for n in names:
            out[n] = str(first(conn.execute("SELECT current_setting(%s, true)", (n,))))
        out["role"] = str(first(conn.execute("SELECT current_user")))
        out["row_security"] = str(first(conn.execute("SELECT current_setting('row_security')")))
    return out


def _scan(store: GraphStore, t: TenantTargets, q: str) -> str:
    """How the planner serves the vector query for tenant t: the index it scans (HNSW, IVFFlat or the tenant
    btree for an exact search) or the kind of scan."""
    with store.db.tenant(t.id) as conn:
        plan = [str(r[0]) for r in conn.execute("EXPLAIN (COSTS OFF) " + load_sql("knn_search"), {"q": q, "k": K},
                                                prepare=False).fetchall()]
    for line in plan:
        if " using " in line:
            return line.split(" using ", 1)[1].split()[0]
    return next((line.strip(" ->") for line in plan if "Scan" in line), "?")


def _explain(store: GraphStore, op: str, t: TenantTargets, params: dict[str, Any]) -> str:
    with store.db.tenant(t.id) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + load_sql(QUERY_FILE[op]), params,
                            prepare=False).fetchall()
    import re

    return re.sub(r"'\[[-0-9.e,]{200,}\]'", "'[...]'", "\n".join(r[0] for r in rows))


def _size_classes(targets: list[TenantTargets]) -> dict[str, TenantTargets]:
    """The tenant closest to owning 0.01 %, 1 %, 2.4 % (the even ones of the default scale), 10 % and 50 % of the
    rows; a class whose closest tenant is already another class's is left out (small scales)."""
    out: dict[str, TenantTargets] = {}
    for label, share in (("0.01%", 0.0001), ("1%", 0.01), ("2.4%", 0.024), ("10%", 0.10), ("50%", 0.50)):
        best = min(targets, key=lambda t: abs(t.share - share))
        if best not in out.values():
            out[label] = best
    return out


_EXACT: dict[tuple[str, str], set[Any]] = {}


def _recall(store: GraphStore, t: TenantTargets, queries: list[str], ef: int | None = None) -> tuple[float, list[float]]:
    """Mean recall@10 of knn_search against knn_exact for these query vectors in tenant t; returns ANN latencies."""
    hits, total, lat = 0, 0, []
    for q in queries:
        params = {"tenant_id": t.id, "q": q, "k": K}
        exact = _EXACT.get((t.id, q))
        if exact is None:
            with store.db.tenant(t.id) as conn:
                conn.execute("SET LOCAL enable_indexscan = off")
                exact = {r[0] for r in conn.execute(load_sql("knn_exact"), params, prepare=False).fetchall()}
            _EXACT[(t.id, q)] = exact
        setup = f"SET LOCAL hnsw.ef_search = {int(ef)}" if ef else None
        ms, _, rows = _timed(store, t.id, load_sql("knn_search"), params, setup=setup)
        lat.append(ms)
        hits += len(exact & {r[0] for r in rows})
        total += min(K, len(exact))
    return (hits / total if total else float("nan")), lat


def run(db: BenchDB, iterations: int = 500, warmup: int = 100, recall_probes: int = 50, seed: int = 7,
        ef_sweep: tuple[int, ...] = (40, 100, 200), tenant_topics: bool = False, log: Log = print) -> dict[str, Any]:
    """`tenant_topics`: the graph was loaded with each tenant over its own topics; query vectors then come from the
    querying tenant's topics too (VectorModel.tenant_centres)."""
    store = _store(db)
    try:
        return _run(store, iterations, warmup, recall_probes, seed, ef_sweep, tenant_topics, log)
    finally:
        store.close()


def _run(store: GraphStore, iterations: int, warmup: int, recall_probes: int, seed: int,
         ef_sweep: tuple[int, ...], tenant_topics: bool, log: Log) -> dict[str, Any]:
    targets = _targets(store, log)
    if not targets:
        raise RuntimeError("no bench tenants with nodes: run without --skip-load first")
    rng = random.Random(seed)
    model = VectorModel(seed=42)
    vec_rng = np.random.default_rng(seed)
    centres = {t.id: model.tenant_centres(t.slug, t.nodes) for t in targets} if tenant_topics else {}

    def query_vectors(t: TenantTargets, n: int) -> list[str]:
        """n fresh query vectors (never stored rows) for tenant t."""
        return [_vec_text(v) for v in model.sample(n, vec_rng, centres.get(t.id))]

    settings = _settings(store, targets[0].id)
    results: dict[str, OpResult] = {}
    plans: dict[str, str] = {}
    biggest = max(targets, key=lambda t: t.nodes)

    for key, label, target, goal in OPERATIONS:
        res = OpResult(key, label, target, goal)
        query = load_sql(QUERY_FILE[key])
        qvecs = [query_vectors(targets[i % len(targets)], 1)[0] for i in range(warmup + iterations)] \
            if key == "vector_search" else []
        gc.collect()
        gc.disable()  # a collection inside a timed call is the client's pause, not the query's (the graph query's
        try:         # p99 tail: 1,800 rows per call fill generation 0 quickly); collected between operations
            for i in range(warmup + iterations):
                t = targets[i % len(targets)]
                params = _params(key, t, rng, qvecs[i] if qvecs else None)
                q_ms, tx_ms, rows = _timed(store, t.id, query, params)
                if i >= warmup:
                    res.query_ms.append(q_ms)
                    res.tx_ms.append(tx_ms)
                    res.rows.append(len(rows))
        finally:
            gc.enable()
        results[key] = res
        s = res.summary()
        log(f"  {label:40} p50 {s['p50_ms']:7.2f}  p95 {s['p95_ms']:7.2f}  p99 {s['p99_ms']:7.2f} ms"
            f"  (tx p95 {s['tx_p95_ms']:6.2f} ms, {s['rows_mean']:.0f} rows)")
        plans[key] = _explain(store, key, biggest, _params(key, biggest, rng, query_vectors(biggest, 1)[0]))

    # recall@10 against exact search, overall (probes spread over every tenant) and per tenant size class
    log("recall@10 against exact search ...")
    per_tenant_probes: dict[str, list[str]] = {}
    for i in range(recall_probes):
        t = targets[i % len(targets)]
        per_tenant_probes.setdefault(t.id, []).extend(query_vectors(t, 1))
    hits_weighted, n_probes = 0.0, 0
    for t in targets:
        qs = per_tenant_probes.get(t.id, [])
        if qs:
            r, _ = _recall(store, t, qs)
            hits_weighted += r * len(qs)
            n_probes += len(qs)
    overall = hits_weighted / n_probes if n_probes else float("nan")
    by_size: dict[str, dict[str, Any]] = {}
    class_probes: dict[str, list[str]] = {}
    for label, t in _size_classes(targets).items():
        qs = class_probes[label] = query_vectors(t, recall_probes)
        r, lat = _recall(store, t, qs)
        by_size[label] = {"slug": t.slug, "share": round(t.share, 4), "nodes": t.nodes, "probes": len(qs),
                          "recall_at_10": r, "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
                          "plan": _scan(store, t, qs[0])}
        log(f"  tenant {t.slug} ({t.share:.1%} of rows, {t.nodes:,} nodes): recall@10 {r:.3f}, "
            f"p95 {percentile(lat, 95):.2f} ms via {by_size[label]['plan']}")
    # the ef_search sweep reuses the size-class probes (exact answers cached): smallest and largest class
    sweep: list[dict[str, Any]] = []
    classes = list(_size_classes(targets).items())
    # the 1 % class (0.01 % is exact search whatever ef_search is). With the IVFFlat index the planner takes HNSW
    # only when a low ef_search makes it cheaper (40 at 1M rows): the sweep shows that switch and its cost
    small_label = "1%" if "1%" in class_probes else classes[0][0]
    small, (big_label, big) = dict(classes)[small_label], classes[-1]
    small_q, big_q = class_probes[small_label], class_probes[big_label]
    for ef in ef_sweep:
        r_small, lat_small = _recall(store, small, small_q, ef)
        r_big, lat_big = _recall(store, big, big_q, ef)
        sweep.append({"ef_search": ef, "recall_small": r_small, "p95_small_ms": percentile(lat_small, 95),
                      "recall_biggest": r_big, "p95_biggest_ms": percentile(lat_big, 95),
                      "small": small.slug, "biggest": big.slug})
        log(f"  ef_search {ef:4}: recall@10 {r_small:.3f} ({small.slug}) / {r_big:.3f} ({big.slug}), "
            f"p95 {percentile(lat_small, 95):.2f} / {percentile(lat_big, 95):.2f} ms")

    return {
        "operations": [results[k].summary() for k, *_ in OPERATIONS],
        "recall": {"k": K, "ef_search": settings.get("hnsw.ef_search"), "overall": overall, "probes": n_probes,
                   "by_tenant_size": by_size, "ef_sweep": sweep},
        "settings": settings,
        "plans": plans,
        "tenants": [{"slug": t.slug, "nodes": t.nodes, "share": round(t.share, 4)} for t in targets],
        "method": {
            "role": settings.get("role"), "iterations": iterations, "warmup": warmup,
            "tenant_choice": "round-robin over every bench tenant, uniform random node / moment / day per call",
            "context": "GraphStore.tenant_tx: set_config('app.tenant_id', id, true) in a transaction, RLS on",
            "prepared": "psycopg prepare=True (server-side prepared statements), binary result format "
                        "(text parsing of 1,000-1,800 rows in Python doubled the glyph/graph latencies)",
            "graph_query": f"newest {GRAPH_NODES} nodes before a random moment + all their out-edges",
            "glyph_window": f"1-day window, newest first, page of {GLYPH_PAGE}",
            "edge_traversal": "out- and in-edges of a node with the neighbour's name",
            "vector_search": "knn_search.sql: the app's RLS-only top-10 (no tenant filter), fresh query vectors from the generator",
        },
    }
