"""Schedules (crons from settings): ingest fan-out per tenant, nightly index care, daily glyphs, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from assets.partitions import TENANT_TAG, TENANTS
from glyph_io.settings import Settings
from pipelines import jobs


def build(settings: Settings) -> list[dg.ScheduleDefinition]:
    @dg.schedule(cron_schedule=settings.ingest_cron, job=jobs.tenant_ingest, execution_timezone="UTC")
    def ingest_every_tenant(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest] | dg.SkipReason:
        """One run per known tenant partition; unchanged tenants finish in seconds (nothing new to read)."""
        tenants = context.instance.get_dynamic_partitions(TENANTS)
        if not tenants:
            return dg.SkipReason("no tenant partitions yet (the tenant_discovery sensor adds them)")
        stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%M")
        return iter([dg.RunRequest(run_key=f"{slug}|{stamp}", partition_key=slug, tags={TENANT_TAG: slug})
                     for slug in tenants])

    @dg.schedule(cron_schedule=settings.glyph_cron, job=jobs.glyph_days, execution_timezone="UTC")
    def glyphs_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        """Yesterday's glyph window, once the day is over, for every active tenant."""
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day)

    index_nightly = dg.ScheduleDefinition(name="index_nightly", job=jobs.index_maintenance,
                                          cron_schedule=settings.index_cron, execution_timezone="UTC")
    retention_daily = dg.ScheduleDefinition(name="retention_daily", job=jobs.retention,
                                            cron_schedule=settings.retention_cron, execution_timezone="UTC")
    return [ingest_every_tenant, index_nightly, glyphs_daily, retention_daily]
