"""Run the pipeline's jobs in this process against the configured Dagster instance (`glyph run`, `glyph demo`).

The same jobs the schedules and sensors launch, recorded in the same instance (so the UI shows them and the run
queue counts them: a queued run of the same tenant waits for ours); in-process execution saves a run worker's
start-up (~5 s) per run and keeps the guarantees of the queued path: the per-tenant advisory lock, the step retry
policy, a heartbeat (a killed `glyph run` is marked failed by the dead_runs sensor or the next `glyph run`), and
SIGTERM/SIGINT stop the run at once (statements cancelled, no retry) and the command with a non-zero status.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import dagster as dg

from assets.partitions import TENANT_TAG, TENANTS, TENANTS_TAG
from glyph_io.settings import settings
from pipelines.definitions import build

Log = Callable[[str], None]


@functools.cache
def definitions() -> dg.Definitions:
    """The code location, built once per process from the settings."""
    return build(settings())


INTERRUPTED = "interrupted by a signal"


@dataclass
class StepTiming:
    name: str
    seconds: float
    ok: bool
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)
    run_id: str = ""
    interrupted: bool = False


class Interrupted(Exception):
    """A run was stopped by SIGTERM/SIGINT: the command stops too (later runs are not started)."""


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        out[materialization.asset_key.to_user_string()] = {k: getattr(v, "value", v)
                                                           for k, v in materialization.metadata.items()}
    return out


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """Each failed step's own message (below Dagster's retry wrappers)."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.message.startswith(("Exceeded max_retries", "dagster._core.execution.plan.utils.Retry")):
                inner = error.cause or error.context
                if inner is None:
                    break
                error = inner
            messages.append(f"{event.step_key}: {error.message.strip()[:400]}")
    return messages


def run_job(name: str, *, partition_key: str | None = None, tags: dict[str, str] | None = None,
            instance: dg.DagsterInstance, log: Log = print) -> StepTiming:
    """Execute job `name` (one partition) in this process; a failed step is reported, never raised."""
    job = definitions().resolve_job_def(name)
    run_tags = dict(tags or {})
    if name == "tenant_ingest" and partition_key:
        run_tags.setdefault(TENANT_TAG, partition_key)
    started = time.perf_counter()
    result = job.execute_in_process(instance=instance, partition_key=partition_key, tags=run_tags,
                                    raise_on_error=False,
                                    run_config={"loggers": {"console": {"config": {"log_level": settings().log_level}}}})
    failures = [] if result.success else _failures(result)
    timing = StepTiming(f"{name}[{partition_key or '-'}]", time.perf_counter() - started, result.success,
                        _metadata(result), result.run_id, any(INTERRUPTED in m for m in failures))
    log(f"  {timing.name:42} {'ok' if result.success else 'FAILED'} in {timing.seconds:6.1f} s")
    for message in failures:
        log(f"    {message}")
    return timing


def pooled(instance: dg.DagsterInstance) -> None:
    """Keep the instance's storage connections open across the runs of this process, as the webserver does:
    dagster-postgres otherwise connects anew for every event it writes (about 280 connections, 1.1 s, for a
    no-change `glyph run`). No-op for SQLite storage; idempotent."""
    if not getattr(instance, "_glyph_pooled", False):
        instance.optimize_for_webserver(statement_timeout=60_000, pool_recycle=3600, max_overflow=10)
        instance._glyph_pooled = True  # type: ignore[attr-defined]  # a marker on the instance object


def ensure_tenant_partitions(instance: dg.DagsterInstance, slugs: Iterable[str]) -> None:
    known = set(instance.get_dynamic_partitions(TENANTS))
    missing = [s for s in slugs if s not in known]
    if missing:
        instance.add_dynamic_partitions(TENANTS, missing)


def run_all(slugs: list[str], instance: dg.DagsterInstance, log: Log = print) -> list[StepTiming]:
    """Ingest every tenant (its events included), glyphs for today, then publish what is left (glyph events).

    Index maintenance is not part of a run: the HNSW index absorbs inserts; it is rebuilt by its nightly schedule.
    Raises Interrupted when a signal stopped a run (the runs before it are in the instance, the rest never start).
    """
    from pipelines.sensors import reap_stale_runs

    pooled(instance)
    for run_id in reap_stale_runs(instance, settings().run_stale_after_s):
        log(f"  marked failed: run {run_id} (its process died; no heartbeat)")
    ensure_tenant_partitions(instance, slugs)
    today = datetime.now(timezone.utc).date().isoformat()
    plan: list[tuple[str, str | None, dict[str, str]]] = [("tenant_ingest", s, {}) for s in slugs]
    plan += [("glyph_days", today, {TENANTS_TAG: ",".join(slugs)}), ("publish_events", None, {})]
    timings: list[StepTiming] = []
    for job, partition, tags in plan:
        timings.append(run_job(job, partition_key=partition, tags=tags, instance=instance, log=log))
        if timings[-1].interrupted:
            raise Interrupted(f"{timings[-1].name} was stopped by a signal; re-running resumes the work")
    return timings
