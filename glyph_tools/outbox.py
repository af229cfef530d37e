"""`glyph outbox status|retry|topics`: see and fix the change stream (pending and dead events per tenant)."""

from __future__ import annotations

import sys

import click


@click.group("outbox")
def outbox() -> None:
    """The change-event outbox: pending and dead events per tenant, re-driving dead events, Kafka topics."""


@outbox.command("status")
@click.option("--tenant", "slug", default=None, help="Only this tenant.")
@click.option("--max-age", default=None, type=float, help="Exit 1 when an event has waited longer (seconds).")
def status(slug: str | None, max_age: float | None) -> None:
    """Pending and dead events per tenant, the oldest pending event's age, the newest error; exits 1 on dead
    events (or pending ones older than --max-age)."""
    from glyph_io.graph_store import opened
    from glyph_tools.cli import _store

    with opened(_store()) as store:
        rows = [s for s in store.outbox.status() if slug is None or s.slug == slug]
    click.echo(f"{'tenant':24} {'pending':>8} {'dead':>6} {'published':>10} {'oldest pending':>15}  last error")
    for s in rows:
        click.echo(f"{s.slug:24} {s.pending:>8} {s.dead:>6} {s.published:>10} {s.oldest_pending_age_s:>13.0f} s  "
                   f"{(s.last_error or '')[:80]}")
    if not rows:
        click.echo("nothing pending or dead")
    too_old = max_age is not None and any(s.oldest_pending_age_s > max_age for s in rows)
    sys.exit(1 if any(s.dead for s in rows) or too_old else 0)


@outbox.command("retry")
@click.option("--tenant", "slug", default=None, help="Only this tenant (default: every tenant with dead events).")
def retry(slug: str | None) -> None:
    """Re-drive dead events after fixing their cause: they become pending and the next publish sends them. A dead
    event whose entity has a newer event is closed as superseded instead (per-entity order on the wire)."""
    from glyph_io.graph_store import opened
    from glyph_tools.cli import _store

    with opened(_store()) as store:
        targets = [s for s in store.outbox.status() if s.dead and (slug is None or s.slug == slug)]
        for s in targets:
            requeued, superseded = store.outbox.retry_dead(s.tenant_id)
            click.echo(f"{s.slug}: {requeued} dead events pending again, {superseded} superseded by newer events")
    if not targets:
        click.echo("no dead events" + (f" for {slug}" if slug else ""))


@outbox.command("topics")
def topics() -> None:
    """Create the change topics that do not exist yet (partitions, replication, cleanup.policy from settings)."""
    from glyph_tools.cli import _resources

    bus = _resources()["event_bus"]
    created = bus.ensure_topics()
    for spec in bus.topics():
        configs = ", ".join(f"{k}={v}" for k, v in spec.configs.items())
        mark = "created" if spec.name in created else "exists"
        click.echo(f"{spec.name:32} {mark:8} partitions={spec.partitions} replication={spec.replication} {configs}")
