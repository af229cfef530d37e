"""The code location: assets in flow order, checks, resources, jobs, schedules, sensors. Wiring only.

`defs` is lazy: Dagster calls it when it loads the code location, so settings are read then, never at import.
"""

from __future__ import annotations

import dagster as dg

from assets import chunk, embed, events, glyph, graph, index, ingest, knowledge, retention
from glyph_io.settings import Settings, settings
from pipelines import jobs, resources, schedules, sensors

STAGES = [ingest, chunk, embed, graph, knowledge, index, glyph, events, retention]


def build(config: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(STAGES),
        asset_checks=dg.load_asset_checks_from_modules(STAGES),
        resources=resources.resources(config),
        jobs=jobs.ALL,
        schedules=schedules.build(config),
        sensors=sensors.build(config),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build(settings())
