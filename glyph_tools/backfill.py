"""`glyph backfill`: a real Dagster asset backfill (the UI's Backfills page shows it), run by the daemon.

The backfill is launched through Dagster's own GraphQL mutation (what the UI's "Launch backfill" sends), so it goes
the production path: backfill daemon -> QueuedRunCoordinator (one run per tenant at a time) -> run launcher -> run
workers, with run retries and monitoring. Tenant stages run over the chosen tenants' partitions, glyph windows over
the days (after the tenants' graphs), then the change events are published. When no daemon serves the instance,
one is started for the duration of the command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from assets.partitions import TENANTS_TAG
from pipelines.jobs import TENANT_STAGES

Log = Callable[[str], None]
LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""
DAEMON_FRESH_S = 60.0
DAEMON_BEAT_S = 30.0  # dagster-daemon's heartbeat interval
DAEMON_CONFIRMED_S = 3.0


@dataclass(frozen=True)
class RunSummary:
    job: str
    partition: str
    status: str
    seconds: float
    metadata: dict[str, dict[str, object]]


def backfill_params(slugs: Sequence[str], days: Sequence[str], skip_ingest: bool) -> dict[str, Any]:
    """LaunchBackfillParams: tenant stages per tenant, glyph_projections per day, then change_events."""
    tenant_ranges = [{"start": s, "end": s} for s in slugs]
    selections = [] if skip_ingest else [{"assetKey": {"path": [a]}, "partitions": {"ranges": tenant_ranges}}
                                         for a in TENANT_STAGES]
    selections.append({"assetKey": {"path": ["glyph_projections"]},
                       "partitions": {"range": {"start": days[0], "end": days[-1]}}})
    selections.append({"assetKey": {"path": ["change_events"]}, "partitions": None})
    return {"partitionsByAssets": selections, "tags": [{"key": TENANTS_TAG, "value": ",".join(slugs)}],
            "title": f"glyph backfill: {len(slugs)} tenants x {len(days)} days",
            # a run's stages are a chain: one process per run instead of one per step
            "runConfigData": {"execution": {"config": {"in_process": {}}}}}


@contextmanager
def graphql(instance: dg.DagsterInstance, workspace: Path) -> Iterator[Callable[[str, dict[str, Any]], dict[str, Any]]]:
    """Dagster's GraphQL API in this process, over one loaded workspace: yields `query(text, variables) -> data`
    (errors raise). The webserver's partition loading context is set as it sets it per request."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster_graphql.cli import execute_query

    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as context, \
            dg.partition_loading_context(dynamic_partitions_store=instance):
        def query(text: str, variables: dict[str, Any]) -> dict[str, Any]:
            result = execute_query(context, text, variables)
            if result.get("errors"):
                raise RuntimeError(f"Dagster GraphQL: {result['errors']}")
            data: dict[str, Any] = result.get("data") or {}
            return data

        yield query


def launch(instance: dg.DagsterInstance, workspace: Path, params: dict[str, Any]) -> str:
    """Launch the backfill through the GraphQL API in this process; returns its id."""
    with graphql(instance, workspace) as query:
        data = query(LAUNCH, {"params": params}).get("launchPartitionBackfill") or {}
    if data.get("__typename") != "LaunchBackfillSuccess":
        raise RuntimeError(f"the backfill was refused: {data.get('message')}")
    return str(data["backfillId"])


def daemon_alive(instance: dg.DagsterInstance, kind: str = "BACKFILL") -> bool:
    """Whether a daemon's `kind` loop (BACKFILL, SENSOR, ...) is alive. A daemon beats every 30 s; a recent beat may
    be the last one of a daemon that just died, so a beat older than a few seconds is only believed once a newer
    one arrives."""
    def beat() -> float | None:
        found = instance.get_daemon_heartbeats().get(kind)
        return None if found is None else float(found.timestamp)

    last = beat()
    if last is None or time.time() - last > DAEMON_FRESH_S:
        return False
    if time.time() - last < DAEMON_CONFIRMED_S:
        return True
    deadline = time.monotonic() + DAEMON_BEAT_S + 5
    while time.monotonic() < deadline:
        newer = beat()
        if newer is not None and newer > last:
            return True
        time.sleep(1)
    return False


@contextmanager
def daemon(instance: dg.DagsterInstance, workspace: Path, log: Log, kind: str = "BACKFILL") -> Iterator[None]:
    """Make sure a daemon serves the instance for the duration of the block (start one if none runs)."""
    if daemon_alive(instance, kind):
        yield
        return
    binary = Path(sys.executable).parent / "dagster-daemon"
    log("no Dagster daemon serves this instance: starting one for this command")
    process = subprocess.Popen([str(binary), "run", "-w", str(workspace)], env=dict(os.environ),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait(instance: dg.DagsterInstance, backfill_id: str, log: Log, timeout_s: float = 6 * 3600) -> str:
    """Poll until the backfill is finished; log each run as it ends; returns the backfill's final status."""
    from dagster._core.execution.backfill import BULK_ACTION_TERMINAL_STATUSES

    reported: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for run in summaries(instance, backfill_id):
            key = f"{run.job}[{run.partition}]"
            if key not in reported and run.status in ("SUCCESS", "FAILURE", "CANCELED"):
                reported.add(key)
                log(f"  {key:42} {'ok' if run.status == 'SUCCESS' else run.status} in {run.seconds:6.1f} s")
        backfill = instance.get_backfill(backfill_id)
        if backfill is not None and backfill.status in BULK_ACTION_TERMINAL_STATUSES:
            return str(backfill.status.value)
        time.sleep(2)
    raise TimeoutError(f"backfill {backfill_id} did not finish in {timeout_s:.0f} s (it keeps running)")


def _label(job: str, partition: str) -> str:
    """The job `glyph run` would have used for this run of the asset backfill (its runs are all __ASSET_JOB)."""
    if job != "__ASSET_JOB":
        return job
    if partition == "-":
        return "publish_events"
    return "glyph_days" if partition[:4].isdigit() and partition.count("-") == 2 else "tenant_ingest"


def summaries(instance: dg.DagsterInstance, backfill_id: str) -> list[RunSummary]:
    """The backfill's runs with their stage metadata (materializations)."""
    out = []
    for record in instance.get_run_records(dg.RunsFilter.for_backfill(backfill_id)):
        run = record.dagster_run
        metadata: dict[str, dict[str, object]] = {}
        if run.is_finished:
            for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
                event = entry.dagster_event
                if event is not None and event.asset_key is not None:
                    metadata[event.asset_key.to_user_string()] = {
                        k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
        seconds = (record.end_time or time.time()) - (record.start_time or record.create_timestamp.timestamp())
        out.append(RunSummary(_label(run.job_name, run.tags.get("dagster/partition", "-")),
                              run.tags.get("dagster/partition", "-"), run.status.value, seconds, metadata))
    return sorted(out, key=lambda r: r.seconds)
