"""Dagster wiring of Glyph Foundry Pipelines: definitions, jobs, schedules, sensors and the `glyph` CLI."""
