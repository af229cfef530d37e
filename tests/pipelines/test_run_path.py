"""Production's run path, exercised: runs from the queue (daemon, QueuedRunCoordinator, run launcher, run workers)
and from `glyph run` (in process) keep one run per tenant, retry only what a retry can fix, and never wedge the queue
when a process dies.

Everything runs on the session's `glyph ui` (webserver + daemon, Postgres instance); runs are submitted the way
sensors, schedules, the UI and backfills submit them (Dagster's GraphQL API), and processes are really killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest

from glyph_core.liveness import HEARTBEAT_TAG
from tests.pipelines.conftest import PROJECT_ROOT, UiServer, tenant_scalar

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(420)]

GLYPH = str(Path(sys.executable).parent / "glyph")
LAUNCH_RUN = """
mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } ... on Error { message } } }"""
LAUNCH_BACKFILL = """
mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } ... on Error { message } } }"""
LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"


def _docs(n: int, seed: int) -> dict[str, str]:
    """n distinct small documents: enough encoding (~n chunks) to have a run worth killing half-way."""
    import random

    rng = random.Random(seed)
    words = "graph vector tenant glyph outbox kafka embedding chunk policy index partition sensor queue".split()
    return {f"docs/d{i:03d}.md": f"# Doc {i}\n\n" + " ".join(rng.choice(words) for _ in range(180)) for i in range(n)}


def _launch(ui: UiServer, slug: str, source: dict[str, str]) -> str:
    location = ui.graphql(LOCATION)["workspaceOrError"]["locationEntries"][0]["name"]
    tags = [{"key": "dagster/partition", "value": slug}, {"key": "glyph/tenant", "value": slug},
            *({"key": k, "value": v} for k, v in source.items())]
    params = {"selector": {"repositoryLocationName": location, "repositoryName": "__repository__",
                           "jobName": "tenant_ingest"}, "executionMetadata": {"tags": tags}, "runConfigData": {}}
    result = ui.graphql(LAUNCH_RUN, {"p": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return str(result["run"]["runId"])


def _wait(instance: dg.DagsterInstance, run_id: str, statuses: set[dg.DagsterRunStatus], timeout: float) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status in statuses:
            return run
        time.sleep(0.5)
    run = instance.get_run_by_id(run_id)
    raise AssertionError(f"run {run_id[:8]} is {run.status.value if run else 'missing'} after {timeout:.0f} s, "
                         f"expected {sorted(s.value for s in statuses)}")


def _step_started(instance: dg.DagsterInstance, run_id: str, step: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START):
            if entry.step_key == step:
                return
        time.sleep(0.2)
    raise AssertionError(f"step {step} of run {run_id[:8]} did not start in {timeout:.0f} s")


def _records(instance: dg.DagsterInstance, run_ids: list[str]) -> list[Any]:
    return [r for r in instance.get_run_records(dg.RunsFilter(run_ids=run_ids))]


def test_sensor_schedule_and_backfill_runs_of_one_tenant_never_overlap(ui_server: UiServer, make_ui_tenant: Any,
                                                                       pg_instance: dg.DagsterInstance) -> None:
    tenant = make_ui_tenant("queue", _docs(6, 1))
    sensor_run = _launch(ui_server, tenant.slug, {"dagster/sensor_name": "object_events"})
    schedule_run = _launch(ui_server, tenant.slug, {"dagster/schedule_name": "ingest_every_tenant"})
    backfill = ui_server.graphql(LAUNCH_BACKFILL, {"p": {
        "partitionsByAssets": [{"assetKey": {"path": ["source_documents"]},
                                "partitions": {"range": {"start": tenant.slug, "end": tenant.slug}}}],
        "runConfigData": {"execution": {"config": {"in_process": {}}}}}})["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        backfill_runs = [r.run_id for r in pg_instance.get_runs(dg.RunsFilter.for_backfill(backfill["backfillId"]))]
        ids = [sensor_run, schedule_run, *backfill_runs]
        records = _records(pg_instance, ids)
        if backfill_runs and all(r.dagster_run.is_finished for r in records):
            break
        time.sleep(1)
    assert backfill_runs and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records), \
        [(r.dagster_run.run_id[:8], r.dagster_run.status.value) for r in records]
    spans = sorted((r.start_time, r.end_time) for r in records)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"two runs of {tenant.slug} overlapped: {spans}"
    print(f"\nthree runs of one tenant, one after another: {[(round(b - a, 1)) for a, b in spans]} s each")


def test_a_terminal_failure_is_not_retried(ui_server: UiServer, pg_instance: dg.DagsterInstance) -> None:
    from assets.partitions import TENANTS

    slug = f"nobody-{os.getpid()}"
    pg_instance.add_dynamic_partitions(TENANTS, [slug])  # a partition whose tenant does not exist: terminal
    try:
        run_id = _launch(ui_server, slug, {"dagster/sensor_name": "object_events"})
        _wait(pg_instance, run_id, {dg.DagsterRunStatus.FAILURE}, 120)
        time.sleep(20)  # the daemon's auto re-execution loop would have acted by now
        retries = pg_instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run_id}))
        assert retries == [], "a terminal (step) failure was re-run"
        failures = [str(e.dagster_event.step_failure_data.error.to_string())
                     for e in pg_instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
                     if e.dagster_event and e.dagster_event.step_failure_data and e.dagster_event.step_failure_data.error]
        assert any("unknown tenant" in m and "not retried" in m for m in failures), failures
    finally:
        pg_instance.delete_dynamic_partition(TENANTS, slug)


def _worker_pids(instance: dg.DagsterInstance, run_id: str) -> list[int]:
    """The run worker's pid, from the code server's engine event "Started process for run (pid: N)."."""
    import re

    found = [re.search(r"Started process for run \(pid: (\d+)\)", e.message)
             for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)]
    return [int(m.group(1)) for m in found if m]


def test_a_killed_run_worker_is_failed_at_once_and_retried(ui_server: UiServer, make_ui_tenant: Any,
                                                          pg_instance: dg.DagsterInstance, env: dict[str, str]) -> None:
    tenant = make_ui_tenant("workerkill", _docs(40, 2))
    run_id = _launch(ui_server, tenant.slug, {"dagster/sensor_name": "object_events"})
    _step_started(pg_instance, run_id, "embeddings")
    pids = _worker_pids(pg_instance, run_id)
    assert pids, "no run worker process found for the run"
    killed = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    failed = _wait(pg_instance, run_id, {dg.DagsterRunStatus.FAILURE}, 60)
    detected = time.monotonic() - killed
    deadline = time.monotonic() + 240  # a worker crash is not a step failure: run retries re-run it
    retry: list[dg.DagsterRun] = []
    while time.monotonic() < deadline and not (retry and retry[0].is_finished):
        retry = list(pg_instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run_id})))
        time.sleep(1)
    assert retry and retry[0].status == dg.DagsterRunStatus.SUCCESS, [(r.run_id[:8], r.status.value) for r in retry]
    assert failed.tags.get("dagster/partition") == retry[0].tags.get("dagster/partition") == tenant.slug
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE graphed_hash = content_hash") == 40
    print(f"\nkilled run worker marked failed in {detected:.1f} s; retried and completed")


def _glyph_run(slug: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([GLYPH, "run", "--tenant", slug], cwd=PROJECT_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(extra_env or {})})


def _latest_run(instance: dg.DagsterInstance, slug: str) -> dg.DagsterRun:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": slug}), limit=1)
        if runs:
            return runs[0]
        time.sleep(0.2)
    raise AssertionError(f"no run for {slug}")


def test_a_killed_glyph_run_is_reaped_and_the_queued_run_of_its_tenant_starts(
        ui_server: UiServer, make_ui_tenant: Any, pg_instance: dg.DagsterInstance) -> None:
    tenant = make_ui_tenant("glyphkill", _docs(40, 3))
    proc = _glyph_run(tenant.slug)
    run = _latest_run(pg_instance, tenant.slug)
    _step_started(pg_instance, run.run_id, "embeddings")
    _wait(pg_instance, run.run_id, {dg.DagsterRunStatus.STARTED}, 10)
    deadline = time.monotonic() + 30
    while HEARTBEAT_TAG not in (pg_instance.get_run_by_id(run.run_id) or run).tags and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.kill()
    proc.wait(timeout=30)
    killed = time.monotonic()
    queued = _launch(ui_server, tenant.slug, {"dagster/sensor_name": "object_events"})
    time.sleep(5)
    assert pg_instance.get_run_by_id(queued).status == dg.DagsterRunStatus.QUEUED, \
        "the tenant's next run must wait while the killed run still counts as started"
    reaped = _wait(pg_instance, run.run_id, {dg.DagsterRunStatus.FAILURE}, 150)
    detected = time.monotonic() - killed
    _wait(pg_instance, queued, {dg.DagsterRunStatus.SUCCESS}, 240)
    messages = [e.message for e in pg_instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)]
    assert any("no heartbeat" in m for m in messages), messages
    assert reaped.tags.get("dagster/partition") == tenant.slug
    print(f"\nSIGKILLed `glyph run`: marked failed {detected:.0f} s after the kill (dead_runs sensor); "
          "the queued run of its tenant then ran")


def test_sigterm_stops_glyph_run_at_once_without_a_retry(make_ui_tenant: Any, pg_instance: dg.DagsterInstance,
                                                         env: dict[str, str]) -> None:
    tenant = make_ui_tenant("sigterm", _docs(40, 4))
    proc = _glyph_run(tenant.slug)
    run = _latest_run(pg_instance, tenant.slug)
    _step_started(pg_instance, run.run_id, "embeddings")
    time.sleep(1)
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    stopped = time.monotonic() - signalled
    assert proc.returncode != 0, out[-2000:]
    assert stopped < 15, f"glyph run took {stopped:.0f} s to stop after SIGTERM"
    final = pg_instance.get_run_by_id(run.run_id)
    assert final is not None and final.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
    retried = pg_instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert retried == [], "the interrupted step was retried"
    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"]) as conn:
        busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'active'",
                            (f"glyph-pipeline-{proc.pid}",)).fetchone()
    assert busy is not None and busy[0] == 0, "a statement of the stopped run kept running on the server"
    again = subprocess.run([GLYPH, "run", "--tenant", tenant.slug], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-2000:]
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE graphed_hash = content_hash") == 40
    print(f"\nSIGTERM: `glyph run` stopped in {stopped:.1f} s (exit {proc.returncode}); re-run resumed")


def test_a_killed_daemon_wedges_nothing(ui_server: UiServer, make_ui_tenant: Any,
                                        pg_instance: dg.DagsterInstance) -> None:
    """SIGKILL the daemon mid-run: the run it launched ends (its worker finishes it, or, if the worker went down too,
    the dead_runs sensor fails it once a daemon is back); a run queued meanwhile starts as soon as a daemon is back
    (here: started again, as a supervisor would)."""
    from glyph_tools.services import state_dir
    from glyph_tools.ui import commands, ui_environment

    record_path = state_dir() / "ui" / f"{ui_server.port}.json"
    record = json.loads(record_path.read_text())
    tenant = make_ui_tenant("daemonkill", _docs(20, 5))
    running = _launch(ui_server, tenant.slug, {"dagster/sensor_name": "object_events"})
    _step_started(pg_instance, running, "chunks")
    os.kill(record["daemon_pid"], signal.SIGKILL)  # the daemon process only, as when it crashes
    other = make_ui_tenant("daemonkill2", _docs(2, 6))
    queued = _launch(ui_server, other.slug, {"dagster/sensor_name": "object_events"})
    time.sleep(10)
    assert pg_instance.get_run_by_id(queued).status == dg.DagsterRunStatus.QUEUED  # nobody dequeues without a daemon
    daemon = subprocess.Popen(commands(ui_server.port)[1], env=ui_environment(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    record["daemon_pid"] = daemon.pid  # the session's `glyph ui stop` stops this one
    record_path.write_text(json.dumps(record))
    restarted = time.monotonic()
    _wait(pg_instance, queued, {dg.DagsterRunStatus.SUCCESS}, 240)
    ended = _wait(pg_instance, running, {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}, 150)
    print(f"\nkilled daemon: its run ended {ended.status.value}; the queued run completed "
          f"{time.monotonic() - restarted:.0f} s after the daemon was back")

