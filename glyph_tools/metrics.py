"""Observability: `glyph metrics` (a Prometheus textfile of per-tenant pipeline figures) and structured log lines.

`glyph metrics --output /var/lib/node_exporter/textfile/glyph.prom` (node_exporter's textfile collector; write is
atomic: temp file + rename) or to stdout. Reads as the app role (`GLYPH_APP_DATABASE_URL`) only: the tenant list
through the SECURITY DEFINER `tenant_directory()`, then one short transaction per tenant with the tenant context set
(`set_config('app.tenant_id', ..., true)`), so RLS applies exactly as in the pipeline. No superuser, no owner role.

Metrics (label `tenant` = slug):
  glyph_events_published_total   counter  change events acknowledged by Kafka
  glyph_events_pending           gauge    change events not yet published
  glyph_events_lag_seconds       gauge    age of the oldest unpublished event (0 when none)
  glyph_quarantined_objects      gauge    source objects refused by ingest (ingest_quarantine rows)
  glyph_metrics_tenants          gauge    tenants seen;   glyph_metrics_collect_seconds  time this collection took
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import click

from glyph_io.logs import JsonFormatter, log_event, run_fields, structured_logger  # noqa: F401 - re-exported

METRICS = [
    ("glyph_events_published_total", "counter", "Change events acknowledged by Kafka (acks=all), per tenant.",
     "published"),
    ("glyph_events_pending", "gauge", "Change events in the outbox not yet published, per tenant.", "pending"),
    ("glyph_events_lag_seconds", "gauge", "Age in seconds of the oldest unpublished change event (0 = none).",
     "lag_seconds"),
    ("glyph_quarantined_objects", "gauge", "Source objects refused by ingest (ingest_quarantine rows), per tenant.",
     "quarantined"),
]


@dataclass(frozen=True)
class TenantFigures:
    tenant: str
    status: str
    published: int
    pending: int
    lag_seconds: float
    quarantined: int


def collect(dsn: str, tenants: Iterable[str] | None = None) -> list[TenantFigures]:
    """Per-tenant figures as the app role; `tenants` limits to those slugs."""
    import psycopg

    from glyph_io.sql import load_sql

    wanted = set(tenants) if tenants else None
    out: list[TenantFigures] = []
    with psycopg.connect(dsn, application_name="glyph-metrics") as conn:
        with conn.transaction():
            directory = conn.execute(load_sql("metrics_tenants")).fetchall()
        for tenant_id, slug, status in directory:
            if wanted is not None and slug not in wanted:
                continue
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
                row = conn.execute(load_sql("metrics_tenant_counters"), {"tenant_id": tenant_id}).fetchone()
            assert row is not None
            out.append(TenantFigures(slug, status, int(row[0]), int(row[1]), float(row[2]), int(row[3])))
    return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(figures: list[TenantFigures], collect_seconds: float) -> str:
    """Prometheus text exposition format 0.0.4."""
    lines: list[str] = []
    for name, kind, help_text, attr in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for f in figures:
            value = getattr(f, attr)
            lines.append(f'{name}{{tenant="{_label(f.tenant)}",status="{_label(f.status)}"}} '
                         f"{value:.3f}" if isinstance(value, float) else
                         f'{name}{{tenant="{_label(f.tenant)}",status="{_label(f.status)}"}} {value}')
    lines += ["# HELP glyph_metrics_tenants Tenants in the directory at collection time.",
              "# TYPE glyph_metrics_tenants gauge", f"glyph_metrics_tenants {len(figures)}",
              "# HELP glyph_metrics_collect_seconds Seconds this collection took.",
              "# TYPE glyph_metrics_collect_seconds gauge", f"glyph_metrics_collect_seconds {collect_seconds:.3f}"]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """node_exporter must never read half a file: write a temp file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@click.command("metrics")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Textfile to write atomically (node_exporter textfile collector); default: stdout.")
@click.option("--tenant", "tenants", multiple=True, help="Only these tenant slugs (repeatable).")
def metrics(output: Path | None, tenants: tuple[str, ...]) -> None:
    """Prometheus textfile: events published/pending/lag seconds and quarantined objects, per tenant (app role)."""
    from glyph_io.settings import require
    from glyph_tools.services import LocalConfig, state_dir

    if (state_dir() / "services.json").exists():
        for key, value in LocalConfig.load_or_create().env().items():
            os.environ.setdefault(key, value)
    started = time.perf_counter()
    figures = collect(require("GLYPH_APP_DATABASE_URL"), tenants or None)
    text = render(figures, time.perf_counter() - started)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {len(figures)} tenants to {output}", err=True)


if __name__ == "__main__":  # `python -m glyph_tools.metrics` before the command is registered
    metrics()
