"""`glyph metrics`: a Prometheus textfile of per-tenant pipeline figures, read in one statement for all tenants.

`glyph metrics --output /var/lib/node_exporter/textfile/glyph.prom` (node_exporter's textfile collector; the write
is atomic: temp file + rename) or to stdout. Reads as the app role only, through the definer function
`tenant_metrics()` (counts only), so the cost does not grow with one transaction per tenant.

Metrics (labels `tenant` = slug, `status`):
  glyph_events_published_total   counter  change events acknowledged by Kafka (kept across retention)
  glyph_events_pending           gauge    change events not yet published
  glyph_events_dead              gauge    change events rejected for good, waiting for `glyph outbox retry`
  glyph_events_lag_seconds       gauge    age of the oldest pending event (0 when none)
  glyph_quarantined_objects      gauge    source objects refused by ingest
  glyph_metrics_tenants, glyph_metrics_collect_seconds
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

from glyph_core.models import TenantMetrics

METRICS = [
    ("glyph_events_published_total", "counter", "Change events acknowledged by Kafka (acks=all), per tenant.",
     "published"),
    ("glyph_events_pending", "gauge", "Change events in the outbox not yet published, per tenant.", "pending"),
    ("glyph_events_dead", "gauge", "Change events rejected for good (see glyph outbox status), per tenant.", "dead"),
    ("glyph_events_lag_seconds", "gauge", "Age in seconds of the oldest pending change event (0 = none).",
     "lag_seconds"),
    ("glyph_quarantined_objects", "gauge", "Source objects refused by ingest (ingest_quarantine rows), per tenant.",
     "quarantined"),
]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(figures: list[TenantMetrics], collect_seconds: float) -> str:
    """Prometheus text exposition format 0.0.4."""
    lines: list[str] = []
    for name, kind, help_text, attr in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for f in figures:
            value = getattr(f, attr)
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            lines.append(f'{name}{{tenant="{_label(f.slug)}",status="{_label(f.status)}"}} {shown}')
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
    """Prometheus textfile: events published/pending/dead/lag and quarantined objects, per tenant (app role)."""
    from glyph_io.graph_store import opened
    from glyph_tools.cli import _store

    started = time.perf_counter()
    with opened(_store()) as store:
        figures = [f for f in store.outbox.metrics() if not tenants or f.slug in tenants]
    text = render(figures, time.perf_counter() - started)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(f"wrote {len(figures)} tenants to {output}", err=True)
