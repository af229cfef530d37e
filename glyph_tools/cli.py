"""`glyph`: the one entry point for humans and scripts; thin over services, migrations and Dagster."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from glyph_io.resources import GraphStore
    from glyph_tools.runner import StepTiming


def _load_local_env() -> None:
    """Fill unset GLYPH_* variables from the local services, so commands work right after `glyph services up`.

    Variables set by hand (external services) always win.
    """
    from glyph_tools import services

    if not (services.state_dir() / "services.json").exists():
        return
    for key, value in services.LocalConfig.load_or_create().env().items():
        os.environ.setdefault(key, value)


@click.group()
def main() -> None:
    """Glyph Foundry Pipelines: documents in S3 -> knowledge graph in Postgres+pgvector -> glyphs -> Kafka events."""


# --------------------------------------------------------------------------------------------- services


@main.group()
def services() -> None:
    """Local PostgreSQL+pgvector, S3 (SeaweedFS), Kafka (Tansu) and Redis on 127.0.0.1, state under .glyph/."""


@services.command("up")
@click.argument("name", required=False, type=click.Choice(["postgres", "s3", "kafka", "redis"]))
def services_up(name: str | None) -> None:
    """Start the local servers (idempotent)."""
    from glyph_tools import services as svc

    svc.up(name)
    for service, ok in svc.status().items():
        if name in (None, service):
            click.echo(f"{service:9} {'up' if ok else 'DOWN'}  127.0.0.1:{svc.ports()[service]}")


@services.command("down")
@click.argument("name", required=False, type=click.Choice(["postgres", "s3", "kafka", "redis"]))
def services_down(name: str | None) -> None:
    """Stop the local servers (data stays under .glyph/)."""
    from glyph_tools import services as svc

    stopped = svc.down(name)
    click.echo("stopped: " + (", ".join(stopped) or "nothing was running"))


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


# --------------------------------------------------------------------------------------------- database


@main.group()
def db() -> None:
    """Schema management."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply sql/[0-9]*.sql in order as the owner role (GLYPH_DATABASE_URL), each file in one transaction."""
    from glyph_io.settings import require
    from glyph_io.sql import migrate

    _load_local_env()
    applied = migrate(require("GLYPH_DATABASE_URL"))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


# --------------------------------------------------------------------------------------------- tenants & data


@main.group()
def tenants() -> None:
    """Tenant provisioning (owner role) and listing."""


@tenants.command("add")
@click.argument("slug")
@click.option("--name", default=None, help="Display name (default: the slug, capitalised).")
def tenants_add(slug: str, name: str | None) -> None:
    """Create a tenant row and its Dagster partition."""
    _load_local_env()
    from glyph_io.settings import resources
    from glyph_tools.runner import ensure_tenant_partitions, prepare_dagster_home

    store = resources(resolved=True)["graph_store"]
    tenant_id = store.create_tenant(slug, name or slug.replace("-", " ").title())
    prepare_dagster_home()
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        ensure_tenant_partitions(instance, [slug])
    click.echo(f"tenant {slug} = {tenant_id}")


@tenants.command("list")
def tenants_list() -> None:
    """Every tenant: id, slug, status."""
    _load_local_env()
    from glyph_io.settings import resources

    for t in resources(resolved=True)["graph_store"].tenants():
        click.echo(f"{t.id}  {t.slug:20} {t.status}")


@main.command("load-samples")
@click.option("--corpus", default=None, help="Folder with one sub-folder per tenant slug (default: samples/corpus).")
def load_samples(corpus: str | None) -> None:
    """Upload the sample corpus to the bucket under `<tenant slug>/...`."""
    _load_local_env()
    _upload_samples(corpus)


def _upload_samples(corpus: str | None) -> dict[str, int]:
    import mimetypes
    from pathlib import Path

    from glyph_io.settings import resources

    root = Path(corpus) if corpus else Path(__file__).resolve().parents[1] / "samples" / "corpus"
    store = resources(resolved=True)["object_store"]
    store.ensure_bucket()
    counts: dict[str, int] = {}
    for tenant_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in tenant_dir.rglob("*") if p.is_file()):
            key = f"{tenant_dir.name}/{path.relative_to(tenant_dir).as_posix()}"
            store.put(key, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            counts[tenant_dir.name] = counts.get(tenant_dir.name, 0) + 1
    for slug, n in counts.items():
        click.echo(f"uploaded {n} sample documents for {slug}")
    return counts


@main.command("run")
@click.option("--tenant", "slugs", multiple=True, help="Tenant slug (repeatable; default: every active tenant).")
def run(slugs: tuple[str, ...]) -> None:
    """Run every stage in this process: ingest per tenant, index, glyphs for today, publish events."""
    _load_local_env()
    _run_and_report(list(slugs) or None)


def _run_and_report(slugs: list[str] | None) -> None:
    import time

    import dagster as dg

    from glyph_io.settings import resources
    from glyph_tools.runner import prepare_dagster_home, run_all

    prepare_dagster_home()
    store = resources(resolved=True)["graph_store"]
    slugs = slugs or [t.slug for t in store.tenants() if t.status != "suspended"]
    started = time.perf_counter()
    click.echo(f"running the pipeline for {', '.join(slugs)}")
    with dg.DagsterInstance.get() as instance:
        timings = run_all(slugs, instance, log=click.echo)
    elapsed = time.perf_counter() - started
    _print_summary(store, slugs, timings, elapsed)
    store.close()
    if not all(t.ok for t in timings):
        raise click.ClickException("some steps failed (see above); re-running is safe and resumes the work")


def _print_summary(store: "GraphStore", slugs: list[str], timings: "list[StepTiming]", elapsed: float) -> None:
    """Per-tenant totals as the app role in each tenant's context, then the run's delivered events and time."""
    from glyph_io.sql import load_sql

    by_slug = {t.slug: t for t in store.tenants()}
    published = sum(int(t.metadata.get("change_events", {}).get("events_published", 0)) for t in timings)
    click.echo("")
    click.echo(f"{'tenant':12} {'documents':>9} {'quarantined':>11} {'chunks':>7} {'nodes':>7} {'edges':>7} "
               f"{'glyphs':>7} {'events':>7} {'pending':>7}")
    for slug in slugs:
        with store.tenant_tx(by_slug[slug].id) as conn:
            row = conn.execute(load_sql("tenant_summary"), {"tenant_id": by_slug[slug].id}).fetchone()
        click.echo(f"{slug:12} " + " ".join(f"{v:>{w}}" for v, w in zip(row, (9, 11, 7, 7, 7, 7, 7, 7))))
    click.echo(f"\nevents delivered to Kafka in this run: {published}; total time {elapsed:.1f} s")


@main.command("backfill")
@click.option("--tenant", "slugs", multiple=True, help="Tenant slug (repeatable; default: every active tenant).")
@click.option("--from", "first", required=True, help="First day (YYYY-MM-DD, UTC) of glyph windows.")
@click.option("--to", "last", required=True, help="Last day (inclusive).")
@click.option("--skip-ingest", is_flag=True, help="Only the glyph windows, not the tenant stages.")
def backfill(slugs: tuple[str, ...], first: str, last: str, skip_ingest: bool) -> None:
    """Tenants x days from the command line: the tenant stages per tenant, then one glyph run per day.

    The same runs the UI's backfill launches (glyph_days partitions with the glyph/tenants tag), executed here.
    """
    from datetime import date, timedelta

    import dagster as dg

    from assets.partitions import TENANT_TAG
    from glyph_io.settings import resources
    from glyph_tools.runner import ensure_tenant_partitions, prepare_dagster_home, run_job

    _load_local_env()
    prepare_dagster_home()
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start:
        raise click.BadParameter("--to is before --from")
    store = resources(resolved=True)["graph_store"]
    chosen = list(slugs) or [t.slug for t in store.tenants() if t.status != "suspended"]
    store.close()
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    click.echo(f"backfill: {len(chosen)} tenants x {len(days)} days")
    results = []
    with dg.DagsterInstance.get() as instance:
        ensure_tenant_partitions(instance, chosen)
        if not skip_ingest:
            results += [run_job("tenant_ingest", partition_key=s, instance=instance, log=click.echo) for s in chosen]
        results += [run_job("glyph_days", partition_key=d, tags={TENANT_TAG: ",".join(chosen)}, instance=instance,
                            log=click.echo) for d in days]
    failed = [r.name for r in results if not r.ok]
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)} (re-running is safe)")


@main.command("demo")
def demo() -> None:
    """Everything end to end on the embedded services: up, migrate, two tenants, sample corpus, all stages."""
    import os

    from glyph_tools import services as svc
    from glyph_io.settings import resources
    from glyph_io.sql import migrate

    if not os.environ.get("GLYPH_DATABASE_URL"):
        svc.up()
    _load_local_env()
    click.echo("migrating: " + (", ".join(migrate(os.environ["GLYPH_DATABASE_URL"])) or "up to date"))
    store = resources(resolved=True)["graph_store"]
    for slug, name in (("acme", "Acme Research"), ("globex", "Globex Engineering")):
        store.create_tenant(slug, name)
    _upload_samples(None)
    _run_and_report(["acme", "globex"])


def _register_optional_commands() -> None:
    """Commands that live in their own modules (UI, metrics, benchmark)."""
    from glyph_tools.bench.cli import bench
    from glyph_tools.metrics import metrics
    from glyph_tools.ui import ui

    main.add_command(ui)
    main.add_command(metrics)
    main.add_command(bench)


_register_optional_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
