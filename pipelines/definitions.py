"""The one Definitions object: assets in flow order, checks, resources, jobs, schedules, sensors."""

from __future__ import annotations

import dagster as dg

from assets import chunk, embed, events, glyph, graph, index, ingest
from pipelines import jobs, schedules, sensors
from glyph_io import settings

STAGES = [ingest, chunk, embed, graph, index, glyph, events]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(STAGES),
    asset_checks=dg.load_asset_checks_from_modules(STAGES),
    resources=settings.resources(),
    jobs=jobs.ALL,
    schedules=schedules.ALL,
    sensors=sensors.ALL,
)
