"""`glyph`: the one entry point for humans and scripts; thin over services, migrations, stores and Dagster."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from glyph_io.graph_store import GraphStore
    from glyph_tools.runner import StepTiming

SERVICE_NAMES = click.Choice(["postgres", "s3", "kafka", "redis"])
SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "corpus"


def _resources() -> dict[str, Any]:
    """Resource instances with their settings resolved now (outside a Dagster run)."""
    from glyph_io.settings import settings
    from glyph_tools.services import load_local_env
    from pipelines.resources import resources

    load_local_env()
    return resources(settings(), resolved=True)


def _store() -> GraphStore:
    store: GraphStore = _resources()["graph_store"]
    return store


@click.group()
def main() -> None:
    """Glyph Foundry Pipelines: documents in S3 -> knowledge graph in Postgres+pgvector -> glyphs -> Kafka events."""


# --------------------------------------------------------------------------------------------- services


@main.group()
def services() -> None:
    """Local PostgreSQL+pgvector, S3 (SeaweedFS), Kafka (Tansu) and Redis on 127.0.0.1, state under .glyph/."""


@services.command("up")
@click.argument("name", required=False, type=SERVICE_NAMES)
def services_up(name: str | None) -> None:
    """Start the local servers (idempotent)."""
    from glyph_tools import services as svc

    svc.up(name)
    for service, ok in svc.status().items():
        if name in (None, service):
            click.echo(f"{service:9} {'up' if ok else 'DOWN'}  127.0.0.1:{svc.ports()[service]}")


@services.command("down")
@click.argument("name", required=False, type=SERVICE_NAMES)
def services_down(name: str | None) -> None:
    """Stop the local servers (data stays under .glyph/)."""
    from glyph_tools import services as svc

    click.echo("stopped: " + (", ".join(svc.down(name)) or "nothing was running"))


@services.command("status")
def services_status() -> None:
    """Which local servers answer; exits 1 when one is down."""
    from glyph_tools import services as svc

    state = svc.status()
    for service, ok in state.items():
        click.echo(f"{service:9} {'up' if ok else 'DOWN'}  127.0.0.1:{svc.ports()[service]}")
    sys.exit(0 if all(state.values()) else 1)


@services.command("env")
def services_env() -> None:
    """Print the connection settings as `export NAME=value` lines (eval them in a shell)."""
    from glyph_tools import services as svc

    try:
        click.echo("\n".join(svc.env_lines()))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


# --------------------------------------------------------------------------------------------- database, tenants


@main.group()
def db() -> None:
    """Schema management."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply the packaged schema files in order as the owner role (GLYPH_DATABASE_URL), each in one transaction."""
    from glyph_io.settings import settings
    from glyph_io.sql import migrate
    from glyph_tools.services import load_local_env

    load_local_env()
    applied = migrate(settings().need("database_url"))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


@main.group()
def tenants() -> None:
    """Tenant provisioning (owner role) and listing."""


@tenants.command("add")
@click.argument("slug")
@click.option("--name", default=None, help="Display name (default: the slug, capitalised).")
def tenants_add(slug: str, name: str | None) -> None:
    """Create a tenant row and its Dagster partition."""
    import dagster as dg

    from glyph_io.graph_store import opened
    from glyph_tools.instance import dagster_home
    from glyph_tools.runner import ensure_tenant_partitions

    with opened(_store()) as store:
        tenant = store.tenants.create(slug, name or slug.replace("-", " ").title())
    dagster_home()
    with dg.DagsterInstance.get() as instance:
        ensure_tenant_partitions(instance, [slug])
    click.echo(f"tenant {slug} = {tenant.id}")


@tenants.command("list")
def tenants_list() -> None:
    """Every tenant: id, slug, status."""
    from glyph_io.graph_store import opened

    with opened(_store()) as store:
        for t in store.tenants.all():
            click.echo(f"{t.id}  {t.slug:20} {t.status}")


@main.command("load-samples")
@click.option("--corpus", default=None, type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder with one sub-folder per tenant slug (default: the sample corpus).")
def load_samples(corpus: Path | None) -> None:
    """Upload a corpus to the bucket under `<tenant slug>/...`."""
    for slug, n in upload_corpus(corpus or SAMPLES).items():
        click.echo(f"uploaded {n} sample documents for {slug}")


def upload_corpus(root: Path) -> dict[str, int]:
    import mimetypes

    store = _resources()["object_store"]
    store.ensure_bucket()
    counts: dict[str, int] = {}
    for tenant_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in tenant_dir.rglob("*") if p.is_file()):
            key = f"{tenant_dir.name}/{path.relative_to(tenant_dir).as_posix()}"
            store.put(key, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            counts[tenant_dir.name] = counts.get(tenant_dir.name, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------- runs


@main.command("run")
@click.option("--tenant", "slugs", multiple=True, help="Tenant slug (repeatable; default: every active tenant).")
@click.option("--timings-json", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write each job's time and its assets' metadata (durations, counters) to this file.")
def run(slugs: tuple[str, ...], timings_json: Path | None) -> None:
    """Run every stage in this process: ingest per tenant (with its events), glyphs for today, publish the rest."""
    run_and_report(list(slugs) or None, timings_json)
    # Everything is written and closed: spare the interpreter's exit a garbage-collection pass over Dagster's
    # object graph (0.7 s of a no-change run's 3.5 s, measured), the way long-lived Python services do.
    gc.freeze()


def run_and_report(slugs: list[str] | None, timings_json: Path | None = None) -> None:
    from glyph_io.encoder import shared_pool
    from glyph_io.settings import settings

    # Start the encoder workers before anything else: their imports (torch, spaCy: ~5 s of one core) then overlap
    # with Dagster's import, listing and parsing. A run with nothing to encode kills them unused at exit.
    config = settings()
    shared_pool(config.embed_workers, config.embed_batch_size, config.extract_mentions).start()

    import dagster as dg

    from glyph_io.graph_store import opened
    from glyph_tools.instance import dagster_home
    from glyph_tools.runner import Interrupted, run_all

    gc.freeze()  # the imported modules and definitions live as long as the process: no collection scans them

    started = time.perf_counter()
    with opened(_store()) as store:
        chosen = [t.slug for t in store.tenants.active(slugs)]
        click.echo(f"running the pipeline for {', '.join(chosen)}")
        dagster_home()
        with dg.DagsterInstance.get() as instance:
            try:
                timings = run_all(chosen, instance, log=click.echo)
            except Interrupted as exc:
                click.echo(f"stopped: {exc}", err=True)
                sys.exit(143)
        _print_summary(store, chosen, timings, time.perf_counter() - started)
    if timings_json is not None:
        import json
        from dataclasses import asdict

        timings_json.write_text(json.dumps([asdict(t) for t in timings], default=str))
    if not all(t.ok for t in timings):
        raise click.ClickException("some steps failed (see above); re-running is safe and resumes the work")


def _print_summary(store: GraphStore, slugs: list[str], timings: list[StepTiming], elapsed: float) -> None:
    """Per-tenant totals as the app role in each tenant's context, then the run's delivered events and time."""
    published = sum(int(str(meta.get("events_published", 0))) for t in timings
                    for asset, meta in t.metadata.items() if asset in ("change_events", "tenant_events"))
    columns = ("documents", "quarantined", "chunks", "nodes", "edges", "glyphs", "events", "pending", "dead")
    click.echo("")
    click.echo(f"{'tenant':12} " + " ".join(f"{c:>{max(7, len(c))}}" for c in columns))
    for tenant in store.tenants.active(slugs):
        s = store.graph.summary(tenant.id)
        values = (s.documents, s.quarantined, s.chunks, s.nodes, s.edges, s.glyphs, s.events_published,
                  s.events_pending, s.events_dead)
        click.echo(f"{tenant.slug:12} " + " ".join(f"{v:>{max(7, len(c))}}" for v, c in zip(values, columns)))
    if timings:
        click.echo(f"\nevents delivered to Kafka in this run: {published}; total time {elapsed:.1f} s")
    else:
        click.echo(f"\ntotal time {elapsed:.1f} s")


@main.command("backfill")
@click.option("--tenant", "slugs", multiple=True, help="Tenant slug (repeatable; default: every active tenant).")
@click.option("--from", "first", required=True, help="First day (YYYY-MM-DD, UTC) of glyph windows.")
@click.option("--to", "last", required=True, help="Last day (inclusive).")
@click.option("--skip-ingest", is_flag=True, help="Only the glyph windows, not the tenant stages.")
@click.option("--no-wait", is_flag=True, help="Launch and return (follow it in the UI's Backfills page).")
def backfill(slugs: tuple[str, ...], first: str, last: str, skip_ingest: bool, no_wait: bool) -> None:
    """Tenants x days as one Dagster backfill through the run queue and the daemon (the UI's Backfills page shows
    it): the tenant stages per tenant, glyph windows per day once their graphs are built, then the events."""
    from datetime import date, timedelta

    import dagster as dg

    from glyph_io.graph_store import opened
    from glyph_tools import backfill as bf
    from glyph_tools.instance import dagster_home, workspace_file
    from glyph_tools.runner import ensure_tenant_partitions

    started = time.perf_counter()
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start:
        raise click.BadParameter("--to is before --from")
    with opened(_store()) as store:
        chosen = [t.slug for t in store.tenants.active(list(slugs) or None)]
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    dagster_home()
    with dg.DagsterInstance.get() as instance:
        ensure_tenant_partitions(instance, chosen)
        workspace = workspace_file()
        backfill_id = bf.launch(instance, workspace, bf.backfill_params(chosen, days, skip_ingest))
        click.echo(f"backfill {backfill_id}: {len(chosen)} tenants x {len(days)} days (Dagster UI: Backfills)")
        if no_wait:
            return
        with bf.daemon(instance, workspace, click.echo):
            status = bf.wait(instance, backfill_id, click.echo)
    click.echo(f"backfill {backfill_id}: {status}")
    with opened(_store()) as store:
        _print_summary(store, chosen, [], time.perf_counter() - started)
    if status != "COMPLETED_SUCCESS":
        raise click.ClickException(f"backfill {backfill_id} ended {status} (re-running is safe)")


@main.command("demo")
def demo() -> None:
    """Everything end to end on the embedded services: up, migrate, two tenants, sample corpus, all stages."""
    from glyph_io.graph_store import opened
    from glyph_io.settings import settings
    from glyph_io.sql import migrate
    from glyph_tools import services as svc

    svc.load_local_env()
    if not settings().database_url:
        svc.up()
        svc.load_local_env()
    click.echo("migrating: " + (", ".join(migrate(settings().need("database_url"))) or "up to date"))
    with opened(_store()) as store:
        for slug, name in (("acme", "Acme Research"), ("globex", "Globex Engineering")):
            store.tenants.create(slug, name)
    for slug, n in upload_corpus(SAMPLES).items():
        click.echo(f"uploaded {n} sample documents for {slug}")
    run_and_report(["acme", "globex"])


def _register_commands() -> None:
    """Commands that live in their own modules (outbox, UI, metrics, benchmark)."""
    from glyph_tools.bench.cli import bench
    from glyph_tools.graph import graph
    from glyph_tools.metrics import metrics
    from glyph_tools.outbox import outbox
    from glyph_tools.ui import ui

    for command in (outbox, ui, metrics, bench, graph):
        main.add_command(command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
