"""Run the pipeline's jobs in this process against the configured Dagster instance (used by `glyph demo/run`).

The same jobs the schedules and sensors launch; in-process execution avoids ~2 s of Python start-up per step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from assets.partitions import TENANT_TAG, TENANTS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def prepare_dagster_home() -> None:
    """DAGSTER_HOME = project root (dagster.yaml, Postgres storage) or a sqlite instance under .glyph/ if no PG URL."""
    from glyph_tools.services import state_dir

    if "DAGSTER_HOME" in os.environ:
        return
    if os.environ.get("GLYPH_DAGSTER_PG_URL"):
        os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT)
        return
    home = state_dir() / "dagster-sqlite"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(home)


@dataclass
class StepTiming:
    name: str
    seconds: float
    ok: bool
    metadata: dict[str, object] = field(default_factory=dict)


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        mat = getattr(event.event_specific_data, "materialization", None)
        if mat is None:
            continue
        out[mat.asset_key.to_user_string()] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out


def run_job(name: str, *, partition_key: str | None = None, tags: dict[str, str] | None = None,
            instance: dg.DagsterInstance, log: Callable[[str], None] = print) -> StepTiming:
    from pipelines.definitions import defs

    job = defs.resolve_job_def(name)
    started = time.perf_counter()
    # Progress lines (INFO) on the console; Dagster's per-step DEBUG events stay in the event log / UI.
    level = os.environ.get("GLYPH_LOG_LEVEL", "INFO").upper()
    result = job.execute_in_process(instance=instance, partition_key=partition_key, tags=tags or {},
                                    raise_on_error=False,
                                    run_config={"loggers": {"console": {"config": {"log_level": level}}}})
    timing = StepTiming(f"{name}[{partition_key or '-'}]", time.perf_counter() - started, result.success,
                        _metadata(result))
    log(f"  {timing.name:42} {'ok' if result.success else 'FAILED'} in {timing.seconds:6.1f} s")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                error = event.step_failure_data.error
                # skip Dagster's retry wrappers ("Exceeded max_retries of 3") down to the asset's own message
                while error.message.startswith(("Exceeded max_retries", "dagster._core.execution.plan.utils.Retry")) \
                        and (error.cause or error.context) is not None:
                    error = error.cause or error.context
                log(f"    {event.step_key}: {error.message.strip()[:400]}")
    return timing


def ensure_tenant_partitions(instance: dg.DagsterInstance, slugs: Iterable[str]) -> None:
    known = set(instance.get_dynamic_partitions(TENANTS))
    missing = [s for s in slugs if s not in known]
    if missing:
        instance.add_dynamic_partitions(TENANTS, missing)


def run_all(slugs: list[str], instance: dg.DagsterInstance, log: Callable[[str], None] = print) -> list[StepTiming]:
    """Ingest every tenant, refresh the index, glyphs for today, then publish the outbox."""
    ensure_tenant_partitions(instance, slugs)
    timings = [run_job("tenant_ingest", partition_key=s, instance=instance, log=log) for s in slugs]
    timings.append(run_job("index_maintenance", instance=instance, log=log))
    today = datetime.now(timezone.utc).date().isoformat()
    timings.append(run_job("glyph_days", partition_key=today, tags={TENANT_TAG: ",".join(slugs)},
                           instance=instance, log=log))
    timings.append(run_job("publish_events", instance=instance, log=log))
    return timings
