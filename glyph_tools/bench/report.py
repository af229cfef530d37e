"""The machine, the spec's table with an Actual column, and the JSON + Markdown files under bench-results/."""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

from glyph_tools.bench import first

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "bench-results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return float("nan")


def machine(dsn: str) -> dict[str, Any]:
    """CPU, cores, RAM, load, PostgreSQL/pgvector versions and the memory settings that matter here."""
    info: dict[str, Any] = {"cpu": _cpu_model(), "cores": os.cpu_count(), "ram_gib": _ram_gib(),
                            "os": platform.platform(), "python": platform.python_version()}
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    with psycopg.connect(dsn, autocommit=True) as conn:
        info["postgresql"] = first(conn.execute("SHOW server_version"))
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        info["pgvector"] = row[0] if row else None
        for name in ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
                     "max_parallel_workers_per_gather", "max_parallel_maintenance_workers", "synchronous_commit"):
            info[name] = first(conn.execute("SELECT current_setting(%s)", (name,)))
        info["database"] = first(conn.execute("SELECT current_database()"))
        sizes = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) FROM pg_class c"
            " WHERE c.relname IN ('nodes_v2', 'edges_v2', 'glyphs_4d', 'nodes_v2_emb384_hnsw_idx')").fetchall()
        info["relation_bytes"] = {r[0]: {"total": int(r[1]), "main": int(r[2])} for r in sizes}
    return info


def _ms(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def spec_table(ops: list[dict[str, Any]]) -> list[str]:
    """The spec's table (Operation | Target | Actual) with p50/p95/p99 and our goal."""
    lines = ["| Operation | Target | Actual (p95) | p50 | p99 | goal p95 @1M | tx p95 | rows | verdict |",
             "|-----------|--------|--------------|-----|-----|--------------|--------|------|---------|"]
    for o in ops:
        p95 = o["p95_ms"]
        verdict = ("within goal" if p95 < o["goal_p95_ms"] else
                   "within spec" if p95 < o["target_ms"] else "OVER SPEC")
        lines.append(f"| {o['operation']} | <{o['target_ms']:g}ms | {_ms(p95)} | {_ms(o['p50_ms'])} | "
                     f"{_ms(o['p99_ms'])} | <{o['goal_p95_ms']:g}ms | {_ms(o['tx_p95_ms'])} | "
                     f"{o['rows_mean']:.0f} | {verdict} |")
    return lines


def markdown(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    out = [f"# glyph bench - {result.get('started_at', '')}", ""]
    out.append(f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, load average at end "
               f"{m.get('load_average')}; PostgreSQL {m.get('postgresql')}, pgvector {m.get('pgvector')}, "
               f"shared_buffers {m.get('shared_buffers')}, effective_cache_size {m.get('effective_cache_size')}, "
               f"work_mem {m.get('work_mem')}; database `{m.get('database')}`.")
    out.append("")
    load = result.get("load")
    scale = result.get("scale", {})
    out.append(f"Scale: {scale.get('tenants')} tenants, {scale.get('nodes'):,} nodes, "
               f"{scale.get('edges_per_node')} edges per node, {scale.get('days')} days of glyphs "
               f"({scale.get('glyph_fraction')} of a tenant's nodes per day)." if scale else "Scale: existing data.")
    q = result.get("queries")
    if q:
        out += ["", "## Latency (spec table)", ""]
        out += spec_table(q["operations"])
        r = q["recall"]
        st = q["settings"]
        out += ["", f"Vector search recall@{r['k']} against exact search at hnsw.ef_search = {r['ef_search']}, "
                    f"ivfflat.probes = {st.get('ivfflat.probes')} (iterative scans {st.get('hnsw.iterative_scan')}; "
                    f"vector indexes: {result.get('vector_indexes', 'n/a')}): **{r['overall']:.3f}** overall "
                    f"({r['probes']} probes over every tenant).", "",
                "| tenant size | tenant | nodes | recall@10 | p50 | p95 | planner's scan |",
                "|---|---|---|---|---|---|---|"]
        for label, v in r["by_tenant_size"].items():
            out.append(f"| {label} (actual {v['share']:.1%}) | {v['slug']} | {v['nodes']:,} | {v['recall_at_10']:.3f} | "
                       f"{_ms(v['p50_ms'])} | {_ms(v['p95_ms'])} | {v.get('plan', 'n/a')} |")
        if r.get("ef_sweep"):
            out += ["", "| ef_search | recall@10 smallest-class tenant | p95 | recall@10 biggest tenant | p95 |",
                    "|---|---|---|---|---|"]
            for s in r["ef_sweep"]:
                out.append(f"| {s['ef_search']} | {s['recall_small']:.3f} | {_ms(s['p95_small_ms'])} | "
                           f"{s['recall_biggest']:.3f} | {_ms(s['p95_biggest_ms'])} |")
        meth = q.get("method", {})
        out += ["", "Method: " + "; ".join(f"{k}: {v}" for k, v in meth.items()) + "."]
        out += [f"Vectors: {result.get('vectors', 'n/a')}."]
    if load:
        src = f" (loaded by an earlier run: {result['load_source']})" if result.get("load_source") else ""
        out += ["", f"## Synthetic load{src}", "", "| table | rows | COPY s | rows/s |", "|---|---|---|---|"]
        for t, n in load["rows"].items():
            s = load["copy_seconds"][t]
            out.append(f"| {t} | {n:,} | {s:.1f} | {n / s:,.0f} |")
        total_rows = sum(load["rows"].values())
        total_copy = sum(load["copy_seconds"].values())
        out.append(f"| all | {total_rows:,} | {total_copy:.1f} | {total_rows / total_copy:,.0f} |")
        idx = load.get("index_seconds") or {}
        if idx:
            out += ["", "Index builds after the load: " + ", ".join(f"{k} {v:.1f} s" for k, v in idx.items()) + "."]
        out += [f"VACUUM ANALYZE {load['vacuum_analyze_seconds']:.1f} s; total {load['total_seconds']:.1f} s.",
                f"Method: {load['method']}."]
    p = result.get("profile")
    if p:
        from glyph_tools.bench.profile import render

        out += ["", render(p)]
    return "\n".join(out) + "\n"


def write(result: dict[str, Any], directory: Path = RESULTS_DIR) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    scale = result.get("scale") or {}
    tag = f"{scale.get('nodes', 'existing')}"
    jpath = directory / f"bench-{stamp}-{tag}.json"
    mpath = directory / f"bench-{stamp}-{tag}.md"
    jpath.write_text(json.dumps(result, indent=1, default=str))
    mpath.write_text(markdown(result))
    return jpath, mpath
