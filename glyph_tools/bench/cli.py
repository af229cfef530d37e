"""`glyph bench`: load a synthetic graph, measure the spec's operations, measure the pipeline, write a report."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from glyph_io.stores.indexes import INDEX as HNSW_INDEX, IVF_INDEX
from glyph_tools.bench import BenchDB


def drop(db: BenchDB, log: Any = click.echo, main_too: bool = True) -> None:
    """Remove every bench tenant (bench database and, with main_too, the main database); drop a dedicated bench
    database."""
    import psycopg
    from psycopg import sql

    from glyph_tools.bench import database_of, with_database
    from glyph_tools.bench.synthetic import drop_bench_tenants

    if main_too or db.is_main:
        from glyph_io.settings import settings

        main = with_database(db.superuser, database_of(settings().need("database_url")))
        drop_bench_tenants(main, log, allow_truncate=False)
    if db.is_main:
        return
    with psycopg.connect(db.superuser.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db.database,)).fetchone():
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(db.database)))
            log(f"dropped database {db.database}")
    from glyph_tools.services import state_dir

    (state_dir() / f"bench-index-defs-{db.database}.json").unlink(missing_ok=True)


def run_bench(db: BenchDB, scale: Any, *, iterations: int, warmup: int, recall_probes: int, skip_load: bool,
              skip_pipeline: bool, corpus: Path | None = None, keep_pipeline_tenants: bool = False,
              out_dir: Path | None = None, log: Any = click.echo) -> tuple[dict[str, Any], Path, Path]:
    from glyph_tools.bench import profile, queries, report, synthetic

    started = time.perf_counter()
    result: dict[str, Any] = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "database": db.database}
    synthetic.ensure_database(db, log)
    if not skip_load:
        log(f"loading {scale.nodes:,} nodes over {scale.tenants} tenants into {db.database} ...")
        stats = synthetic.load(db, scale, log)
        result["load"] = {k: v for k, v in stats.__dict__.items()}
        result["load"]["rows_per_s"] = stats.rates()
        result["scale"] = stats.scale
        result["vectors"] = stats.vectors
    else:
        result["vectors"] = (synthetic.VectorModel().description
                             + (", each tenant over its own topics" if scale.tenant_topics else "")
                             + " (assumed: --skip-load reuses the loaded data)")
        previous = _last_load(out_dir or report.RESULTS_DIR, db.database)
        if previous:
            result["load"], result["scale"], result["load_source"] = previous
    store = queries._store(db)
    try:
        result["legacy_tenant_indexes_dropped"] = store.indexes.drop_tenant_indexes()
        # the product's own index maintenance (the vector_index asset's call): the IVFFlat index at this size
        started_index = time.perf_counter()
        result["vector_indexes"] = str(store.indexes.build(rebuild=False))
        log(f"vector indexes: {result['vector_indexes']} ({time.perf_counter() - started_index:.1f} s)")
    finally:
        store.close()
    prewarm(db, log)
    log(f"measuring ({iterations} iterations after {warmup} warm-up per operation, as glyph_app under RLS) ...")
    result["queries"] = queries.run(db, iterations=iterations, warmup=warmup, recall_probes=recall_probes,
                                    tenant_topics=scale.tenant_topics, log=log)
    if not skip_pipeline:
        log("profiling glyph run on the sample corpus ...")
        result["profile"] = profile.run(corpus or report.PROJECT_ROOT / "samples" / "corpus", peers={},
                                        peers_dir=None, formats=None, scale_to=None, edit=True,
                                        keep=keep_pipeline_tenants, log=log)
    result["machine"] = report.machine(db.owner)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    paths = report.write(result, out_dir or report.RESULTS_DIR)
    return result, paths[0], paths[1]


PREWARM = ("nodes_v2", HNSW_INDEX, IVF_INDEX, "nodes_v2_tenant_created_idx", "edges_v2", "glyphs_4d")


def prewarm(db: BenchDB, log: Any) -> None:
    """Load the graph's heap and indexes into shared_buffers (pg_prewarm) so the bench measures the steady state a
    serving database is in, not the first minutes after a restart (what `pg_prewarm.autoprewarm` gives production).
    Relations larger than shared_buffers are only partly kept; without the extension the warm-up calls do it."""
    import psycopg

    try:
        with psycopg.connect(db.superuser, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            started = time.perf_counter()
            pages = 0
            present = {name for name in PREWARM
                       if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() != (None,)}
            if IVF_INDEX in present:  # the app's vector SQL then no longer reads HNSW; all of it: 7.5 GB at 1M rows
                present.discard(HNSW_INDEX)
            for name in (n for n in PREWARM if n in present):
                row = conn.execute("SELECT pg_prewarm(%s)", (name,)).fetchone()
                pages += int(row[0]) if row else 0
            log(f"prewarmed {pages * 8 // 1024:,} MB into shared_buffers in {time.perf_counter() - started:.1f} s")
    except psycopg.Error as exc:
        log(f"no prewarm ({type(exc).__name__}: {exc}); the warm-up calls load what they touch")


def _last_load(directory: Path, database: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """The load section of the newest earlier report for this database (what --skip-load measures)."""
    import json

    for path in sorted(directory.glob("bench-*.json"), reverse=True):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("database") == database and data.get("load"):
            return data["load"], data.get("scale", {}), path.name
    return None


@click.command("bench")
@click.option("--scale", "scale_name", type=click.Choice(["tiny", "default"]), default="default", show_default=True,
              help="Preset: tiny = 2 tenants x 2,000 nodes, 3 days; default = 20 tenants, 1,000,000 nodes, 30 days.")
@click.option("--tenants", type=int, default=None, help="Tenants (sizes skewed: 50 %, 10 %, 1 %, rest even).")
@click.option("--nodes", type=int, default=None, help="Total nodes over all tenants.")
@click.option("--edges-per-node", type=int, default=None, help="Out-edges per node.")
@click.option("--days", type=int, default=None, help="Days of glyphs (one window per day, ending today).")
@click.option("--tenant-topics", is_flag=True,
              help="Each tenant's vectors (and its query vectors) from its own few topics, as real tenants' documents "
                   "are; the default spreads every tenant over every topic (the worst case for a filtered HNSW scan). "
                   "Pass it to the load and to every --skip-load run of that database.")
@click.option("--glyph-fraction", type=float, default=None, help="Share of a tenant's nodes with a glyph per day.")
@click.option("--iterations", type=int, default=1000, show_default=True, help="Measured calls per operation.")
@click.option("--warmup", type=int, default=200, show_default=True, help="Unmeasured warm-up calls per operation.")
@click.option("--recall-probes", type=int, default=50, show_default=True, help="Query vectors per recall figure.")
@click.option("--skip-load", is_flag=True, help="Measure the bench tenants already loaded.")
@click.option("--skip-pipeline", is_flag=True, help="Do not measure the pipeline on the sample corpus.")
@click.option("--corpus", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Profile `glyph run` on this folder's documents only (per stage, rows, triggers, encode ceiling, "
                   "re-run, edit, gold-set quality); the synthetic graph is not touched.")
@click.option("--peer", "peer_specs", multiple=True, metavar="NAME=PYTHON",
              help="With --corpus: also time a peer (raw, llamaindex, cocoindex) with that virtualenv's python.")
@click.option("--peers-dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Where the peers' *_ingest.py scripts are (default: ../shared/peers next to the project).")
@click.option("--formats", default=None, help="With --corpus: only these extensions, e.g. txt,md (the formats "
                                               "every peer reads; the default with --peer).")
@click.option("--scale-to", type=int, default=None, help="With --corpus: cycle the documents to this many (copies "
                                                         "get their own first line), for re-run and edit costs.")
@click.option("--no-edit", is_flag=True, help="With --corpus: skip the edit-one-document pass.")
@click.option("--extraction-cost", "cost_pairs", type=int, default=0, metavar="PAIRS",
              help="With --corpus: instead of the profile, time PAIRS alternating fresh-tenant runs with entity "
                   "extraction off and on; per-stage medians and the share extraction adds.")
@click.option("--keep-pipeline-tenants", is_flag=True, help="Keep the pipeline bench tenants (default: removed).")
@click.option("--database", default=None,
              help="Database for the synthetic graph (default: <main database>_bench, created on demand).")
@click.option("--drop", "do_drop", is_flag=True, help="Remove every bench- tenant (and the bench database), then exit.")
@click.option("--freshness", is_flag=True, help="Time upload -> change event on Kafka through the daemon and the "
                                                "object_events sensor (single documents, then a burst), then exit.")
@click.option("--singles", type=int, default=5, show_default=True, help="With --freshness: documents one at a time.")
@click.option("--burst", type=int, default=10, show_default=True, help="With --freshness: documents uploaded at once.")
def bench(scale_name: str, tenants: int | None, nodes: int | None, edges_per_node: int | None, days: int | None,
          tenant_topics: bool, glyph_fraction: float | None, iterations: int, warmup: int, recall_probes: int, skip_load: bool,
          skip_pipeline: bool, corpus: Path | None, peer_specs: tuple[str, ...], peers_dir: Path | None,
          formats: str | None, scale_to: int | None, no_edit: bool, cost_pairs: int, keep_pipeline_tenants: bool,
          database: str | None, do_drop: bool, freshness: bool, singles: int, burst: int) -> None:
    """Benchmark: synthetic multi-tenant graph (binary COPY), the spec's latency table, pipeline throughput."""
    from dataclasses import replace

    from glyph_tools.bench import report
    from glyph_tools.bench.synthetic import Scale

    from glyph_tools.services import load_local_env

    load_local_env()
    if freshness:
        _freshness(singles, burst)
        return
    if corpus is not None and cost_pairs:
        _extraction_cost(corpus, cost_pairs, formats)
        return
    if corpus is not None:
        _profile(corpus, peer_specs, peers_dir, formats, scale_to, not no_edit, keep_pipeline_tenants)
        return
    db = BenchDB.from_env(database)
    if do_drop:
        drop(db)
        return
    scale = Scale.named(scale_name)
    counts: dict[str, Any] = {k: v for k, v in {"tenants": tenants, "nodes": nodes, "edges_per_node": edges_per_node,
                                "days": days}.items() if v is not None}
    scale = replace(scale, **counts)
    if glyph_fraction is not None:
        scale = replace(scale, glyph_fraction=glyph_fraction)
    scale = replace(scale, tenant_topics=tenant_topics)
    result, jpath, mpath = run_bench(db, scale, iterations=iterations, warmup=warmup, recall_probes=recall_probes,
                                     skip_load=skip_load, skip_pipeline=skip_pipeline, corpus=corpus,
                                     keep_pipeline_tenants=keep_pipeline_tenants)
    click.echo("")
    click.echo(report.markdown(result))
    click.echo(f"written: {jpath}\n         {mpath}")


def _freshness(singles: int, burst: int) -> None:
    import json

    from glyph_tools.bench import freshness, report

    result = freshness.run(singles=singles, burst=burst, log=click.echo)
    text = freshness.render(result)
    report.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (report.RESULTS_DIR / f"freshness-{stamp}.json").write_text(json.dumps(result, indent=1))
    (report.RESULTS_DIR / f"freshness-{stamp}.md").write_text(text + "\n")
    click.echo("")
    click.echo(text)


def _extraction_cost(corpus: Path, pairs: int, formats: str | None) -> None:
    import json

    from glyph_tools.bench import extraction_cost, report

    chosen = {f.strip().lower() for f in (formats or "").split(",") if f.strip()} or None
    result = extraction_cost.run(corpus, pairs, chosen, log=click.echo)
    text = extraction_cost.render(result)
    report.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (report.RESULTS_DIR / f"extraction-cost-{stamp}.json").write_text(json.dumps(result, indent=1))
    (report.RESULTS_DIR / f"extraction-cost-{stamp}.md").write_text(text)
    click.echo("")
    click.echo(text)
    click.echo(f"written: {report.RESULTS_DIR / f'extraction-cost-{stamp}.md'}")


def _profile(corpus: Path, peer_specs: tuple[str, ...], peers_dir: Path | None, formats: str | None,
             scale_to: int | None, edit: bool, keep: bool) -> None:
    """`glyph bench --corpus DIR`: the per-stage profile (and the peers), printed and written to bench-results/."""
    import json

    from glyph_tools.bench import peers, profile, report

    specs = dict(spec.split("=", 1) for spec in peer_specs if "=" in spec)
    if len(specs) != len(peer_specs):
        raise click.BadParameter("use --peer NAME=/path/to/venv/bin/python")
    chosen = {f.strip().lower() for f in (formats or ("txt,md" if specs else "")).split(",") if f.strip()} or None
    result = profile.run(corpus, peers=specs, peers_dir=peers_dir or peers.default_peers_dir(report.PROJECT_ROOT),
                         formats=chosen, scale_to=scale_to, edit=edit, keep=keep, log=click.echo)
    text = profile.render(result)
    report.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (report.RESULTS_DIR / f"profile-{stamp}.json").write_text(json.dumps(result, indent=1, default=str))
    (report.RESULTS_DIR / f"profile-{stamp}.md").write_text(text)
    click.echo("")
    click.echo(text)
    click.echo(f"written: {report.RESULTS_DIR / f'profile-{stamp}.md'}")
