"""Pipeline throughput: documents/s and chunks/s end to end through the product's own runner, by stage.

On fresh `bench-pipe-<run>-<corpus folder>` tenants in the configured (main) database: upload the sample corpus
under the tenants' S3 prefixes, `glyph_tools.runner.run_all(...)` with the configured Dagster instance (in-process
execution, the same jobs `glyph run` launches), read each asset's `duration_s` from its materialization metadata,
then run everything again with nothing changed (the no-change cost) and measure the model's raw encode ceiling
on the very chunk texts the pipeline produced (model already loaded, same batch size). Afterwards the tenants, their
rows, their S3 objects and their Dagster partitions are removed unless `keep` is set.
"""

from __future__ import annotations

import mimetypes
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glyph_tools.bench import BENCH_PREFIX

Log = Callable[[str], None]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STAGE_ASSETS = ["source_documents", "chunks", "embeddings", "knowledge_graph", "vector_index", "glyph_projections",
                "change_events"]


def _corpus_tenants(corpus: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    if not corpus.is_dir():
        return out
    for d in sorted(p for p in corpus.iterdir() if p.is_dir()):
        files = sorted(p for p in d.rglob("*") if p.is_file())
        if files:
            out[d.name] = files
    return out


def _stage_table(timings: list[Any]) -> dict[str, dict[str, float]]:
    """Sum of duration_s (and the useful counters) per asset over all runs of one pass."""
    stages: dict[str, dict[str, float]] = {}
    for t in timings:
        for asset, meta in t.metadata.items():
            s = stages.setdefault(asset, {"duration_s": 0.0})
            for k, v in meta.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    s[k] = s.get(k, 0.0) + float(v)
    return stages


def _pass_summary(timings: list[Any], wall: float) -> dict[str, Any]:
    stages = _stage_table(timings)
    docs = stages.get("source_documents", {}).get("documents_parsed", 0.0)
    chunks = stages.get("chunks", {}).get("chunks_written", 0.0)
    per_stage = {}
    for name in STAGE_ASSETS:
        s = stages.get(name)
        if not s:
            continue
        d = s["duration_s"]
        per_stage[name] = {"duration_s": round(d, 3),
                           "docs_per_s": round(docs / d, 2) if d and docs else None,
                           "chunks_per_s": round(chunks / d, 2) if d and chunks else None,
                           "counters": {k: v for k, v in s.items() if k != "duration_s"}}
    jobs = [{"job": t.name, "seconds": round(t.seconds, 3), "ok": t.ok} for t in timings]
    return {"wall_s": round(wall, 3), "documents": docs, "chunks": chunks,
            "docs_per_s": round(docs / wall, 3) if wall else None,
            "chunks_per_s": round(chunks / wall, 3) if wall else None,
            "ok": all(t.ok for t in timings), "stages": per_stage, "jobs": jobs,
            "dagster_overhead_s": round(sum(t.seconds for t in timings)
                                        - sum(s["duration_s"] for s in stages.values()), 3)}


def run(corpus: Path | None = None, keep: bool = False, log: Log = print) -> dict[str, Any]:
    corpus = corpus or PROJECT_ROOT / "samples" / "corpus"
    folders = _corpus_tenants(corpus)
    if not folders:
        return {"skipped": f"no corpus: {corpus} has no tenant folders with files"}

    import dagster as dg

    from glyph_io.settings import settings
    from pipelines.resources import resources

    # EnvVar fields resolve only when a resource is initialised: outside a run that is dg.build_resources
    wanted = {k: v for k, v in resources(settings()).items() if k in ("graph_store", "object_store", "embedder")}
    with dg.build_resources(wanted) as built:
        return _run(corpus, folders, built.graph_store, built.object_store, built.embedder, keep, log)


def _run(corpus: Path, folders: dict[str, list[Path]], store: Any, objects: Any, embedder: Any, keep: bool,
         log: Log) -> dict[str, Any]:
    import dagster as dg

    from glyph_tools.instance import dagster_home
    from glyph_tools.runner import run_all

    run_id = uuid.uuid4().hex[:6]
    slugs = {f"{BENCH_PREFIX}pipe-{run_id}-{name}"[:60]: name for name in folders}
    uploaded: list[str] = []
    n_files = 0
    objects.ensure_bucket()
    for slug, name in slugs.items():
        store.create_tenant(slug, f"Bench pipeline {name}")
        for path in folders[name]:
            key = f"{slug}/{path.relative_to(corpus / name).as_posix()}"
            objects.put(key, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            uploaded.append(key)
            n_files += 1
    log(f"pipeline: {n_files} documents of {corpus} uploaded for {len(slugs)} fresh tenants ({', '.join(slugs)})")

    dagster_home()
    out: dict[str, Any] = {"corpus": str(corpus), "objects": n_files, "tenants": list(slugs),
                           "executor": "in-process (glyph_tools.runner.run_all)", "dagster_home": os.environ.get("DAGSTER_HOME")}
    try:
        with dg.DagsterInstance.get() as instance:
            out["instance_storage"] = type(instance.run_storage).__name__
            started = time.perf_counter()
            first = run_all(list(slugs), instance, log=log)
            out["first_run"] = _pass_summary(first, time.perf_counter() - started)
            started = time.perf_counter()
            again = run_all(list(slugs), instance, log=log)
            out["no_change_rerun"] = _pass_summary(again, time.perf_counter() - started)
            out["encode_ceiling"] = _encode_ceiling(store, embedder, list(slugs), log)
            if not keep:
                for slug in slugs:
                    try:
                        instance.delete_dynamic_partition("tenants", slug)
                    except Exception:  # noqa: BLE001 - cleanup is best effort
                        pass
    finally:
        if not keep:
            _cleanup(list(slugs), uploaded, objects, log)
    e2e = out.get("first_run", {}).get("chunks_per_s")
    ceil = out.get("encode_ceiling", {}).get("chunks_per_s")
    if e2e and ceil:
        out["end_to_end_vs_encode_ceiling"] = round(e2e / ceil, 3)
    return out


def _encode_ceiling(store: Any, embedder: Any, slugs: list[str], log: Log) -> dict[str, Any]:
    """Encode the pipeline's own chunk texts with the model only (loaded and warmed first): chunks/s ceiling."""
    texts: list[str] = []
    by_slug = {t.slug: t for t in store.tenants.all()}
    for slug in slugs:
        with store.db.tenant(by_slug[slug].id) as conn:
            texts += [r[0] for r in conn.execute(
                "SELECT chunk_text FROM file_chunks WHERE tenant_id = %s ORDER BY file_id, chunk_index",
                (by_slug[slug].id,)).fetchall()]
    if not texts:
        return {"chunks": 0}
    texts = texts[:: max(1, len(texts) // 400)][:400]  # an even sample keeps the ceiling under a minute
    t_load = time.perf_counter()
    embedder.encode(texts[:16])  # load + warm
    load_s = time.perf_counter() - t_load
    started = time.perf_counter()
    embedder.encode(texts)
    secs = time.perf_counter() - started
    log(f"encode ceiling: {len(texts)} chunks in {secs:.1f} s = {len(texts) / secs:.1f} chunks/s "
        f"(model load + warm-up {load_s:.1f} s, batch {embedder.batch_size})")
    return {"chunks": len(texts), "sample_of_pipeline_chunks": True, "seconds": round(secs, 3),
            "chunks_per_s": round(len(texts) / secs, 2),
            "batch_size": embedder.batch_size, "model_load_and_warmup_s": round(load_s, 2)}


def _cleanup(slugs: list[str], keys: list[str], objects: Any, log: Log) -> None:
    from glyph_io.settings import settings
    from glyph_tools.bench import superuser_url
    from glyph_tools.bench.synthetic import drop_bench_tenants

    for key in keys:
        try:
            objects.remove(key)
        except Exception:  # noqa: BLE001 - best effort
            pass
    su = superuser_url()
    from glyph_tools.bench import database_of, with_database

    dsn = with_database(su, database_of(settings().need("database_url")))
    for slug in slugs:
        drop_bench_tenants(dsn, log, slug_like=slug, allow_truncate=False)
