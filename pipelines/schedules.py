"""Schedules (cron strings from GLYPH_*_CRON): ingest fan-out per tenant, nightly index care, daily glyphs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from pipelines import jobs
from assets.partitions import TENANTS


@dg.schedule(cron_schedule=os.environ.get("GLYPH_INGEST_CRON", "*/15 * * * *"), job=jobs.tenant_ingest,
             execution_timezone="UTC")
def ingest_every_tenant(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest] | dg.SkipReason:
    """One run per known tenant partition; unchanged tenants finish in seconds (nothing new to read)."""
    tenants = context.instance.get_dynamic_partitions(TENANTS)
    if not tenants:
        return dg.SkipReason("no tenant partitions yet (the tenant_discovery sensor adds them)")
    stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
    return iter([dg.RunRequest(run_key=f"{slug}|{stamp}", partition_key=slug, tags={"glyph/tenant": slug})
                 for slug in tenants])


index_nightly = dg.ScheduleDefinition(
    name="index_nightly", job=jobs.index_maintenance, execution_timezone="UTC",
    cron_schedule=os.environ.get("GLYPH_INDEX_CRON", "30 2 * * *"),
)


@dg.schedule(cron_schedule=os.environ.get("GLYPH_GLYPH_CRON", "15 0 * * *"), job=jobs.glyph_days,
             execution_timezone="UTC")
def glyphs_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's glyph window, once the day is over, for every active tenant."""
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day)


ALL = [ingest_every_tenant, index_nightly, glyphs_daily]
