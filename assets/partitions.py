"""Partitions: tenants (dynamic, keyed by slug) for the per-tenant stages; days for the time-based glyph stage.

Why not tenant x day: Dagster advises at most ~100,000 partition keys per asset, and 10,000 tenants x two years of
days is 7.3 M. Tenant stages stay tenant-partitioned (10,000 keys); glyphs are day-partitioned (730 keys for two
years) and process every active tenant of the day, or only the tenants named in the run tag `glyph/tenants`, so
"one tenant x two days" is a backfill of two day partitions with that tag (see docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

TENANTS = "tenants"
TENANTS_TAG = "glyph/tenants"  # comma-separated slugs; empty/absent = every active tenant
TENANT_TAG = "glyph/tenant"  # one slug: the run queue allows one run per value at a time
FIRST_DAY = "2026-01-01"  # glyph windows start here (a product constant, not a setting: keys must not move)

tenant_partitions = dg.DynamicPartitionsDefinition(name=TENANTS)
day_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=1, timezone="UTC")


def tenants_from_tag(tags: Mapping[str, str]) -> list[str] | None:
    """Slugs named in the run's `glyph/tenants` tag, or None for "all active tenants"."""
    raw = tags.get(TENANTS_TAG, "").strip()
    return [s.strip() for s in raw.split(",") if s.strip()] or None
