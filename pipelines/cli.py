"""`glyph`: the one entry point for humans and scripts; thin over services, migrations and Dagster."""

from __future__ import annotations

import os
import sys

import click


def _load_local_env() -> None:
    """Fill unset GLYPH_* variables from the local services, so commands work right after `glyph services up`.

    Variables set by hand (external services) always win.
    """
    from pipelines import services

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
    from pipelines import services as svc

    svc.up(name)
    for service, ok in svc.status().items():
        if name in (None, service):
            click.echo(f"{service:9} {'up' if ok else 'DOWN'}  127.0.0.1:{svc.ports()[service]}")


@services.command("down")
@click.argument("name", required=False, type=click.Choice(["postgres", "s3", "kafka", "redis"]))
def services_down(name: str | None) -> None:
    """Stop the local servers (data stays under .glyph/)."""
    from pipelines import services as svc

    stopped = svc.down(name)
    click.echo("stopped: " + (", ".join(stopped) or "nothing was running"))


@services.command("status")
def services_status() -> None:
    """Which local servers answer; exits 1 when one is down."""
    from pipelines import services as svc

    state = svc.status()
    for service, ok in state.items():
        click.echo(f"{service:9} {'up' if ok else 'DOWN'}  127.0.0.1:{svc.ports()[service]}")
    sys.exit(0 if all(state.values()) else 1)


@services.command("env")
def services_env() -> None:
    """Print the connection settings as `export NAME=value` lines (eval them in a shell)."""
    from pipelines import services as svc

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
    from pipelines.base.settings import require
    from pipelines.base.sql import migrate

    _load_local_env()
    applied = migrate(require("GLYPH_DATABASE_URL"))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


if __name__ == "__main__":  # pragma: no cover
    main()
