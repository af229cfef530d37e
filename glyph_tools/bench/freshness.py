"""`glyph bench --freshness`: upload -> change event on Kafka, on the production path, for single documents and bursts.

What it times is what a consumer waits for: an object is uploaded to S3; the store's notification reaches Kafka;
the daemon's `object_events` sensor requests a run for the tenant; the QueuedRunCoordinator launches it (a run
worker process: imports, the encoder workers); the run ingests, embeds, graphs and publishes; the document's node
event is acknowledged by Kafka (`change_outbox.published_at`, set only after every record of the batch was
acknowledged). Nothing is run in this process: a Dagster daemon serves the instance (one is started for the bench
when none runs), and the sensor is switched on through Dagster's GraphQL API, then back to its previous state.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from glyph_tools.bench import BENCH_PREFIX

Log = Callable[[str], None]
LOCATION = "pipelines.definitions"
SENSORS = ("object_events",)
SENSOR_STATE = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { __typename ... on Sensor { sensorState { status } } }
}"""
START_SENSOR = """
mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename ... on Sensor { sensorState { status } } ... on PythonError { message } }
}"""
RESET_SENSOR = """
mutation Reset($selector: SensorSelector!) {
  resetSensor(sensorSelector: $selector) { __typename ... on PythonError { message } }
}"""
SENSOR_TICK_WAIT_S = 120.0  # the daemon's first sensor evaluation after it starts
DOCUMENT_WAIT_S = 300.0


def _selector(name: str) -> dict[str, str]:
    return {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": name}


@contextmanager
def sensors_on(instance: Any, log: Log) -> Iterator[None]:
    """Switch the ingest sensors on for the block; those that were off are reset to their default afterwards."""
    from glyph_tools.backfill import graphql
    from glyph_tools.instance import workspace_file

    switched = []
    with graphql(instance, workspace_file()) as query:
        for name in SENSORS:
            state = query(SENSOR_STATE, {"selector": _selector(name)})["sensorOrError"]
            if state.get("sensorState", {}).get("status") != "RUNNING":
                started = query(START_SENSOR, {"selector": _selector(name)})["startSensor"]
                if started["__typename"] != "Sensor":
                    raise RuntimeError(f"could not start sensor {name}: {started.get('message')}")
                switched.append(name)
    log(f"sensors on: {', '.join(SENSORS)}" + (f" (switched on for the bench: {', '.join(switched)})"
                                               if switched else ""))
    try:
        yield
    finally:
        if switched:
            with graphql(instance, workspace_file()) as query:
                for name in switched:
                    query(RESET_SENSOR, {"selector": _selector(name)})


def _wait_for_sensor_daemon(instance: Any, since: float) -> None:
    """Until the sensor loop has beaten after `since` (a daemon just started evaluates sensors after loading)."""
    deadline = time.monotonic() + SENSOR_TICK_WAIT_S
    while time.monotonic() < deadline:
        beat = instance.get_daemon_heartbeats().get("SENSOR")
        if beat is not None and beat.timestamp > since:
            return
        time.sleep(1)
    raise RuntimeError(f"no Dagster sensor daemon reported within {SENSOR_TICK_WAIT_S:.0f} s")


def _published_at(store: Any, tenant_id: str, keys: list[str]) -> dict[str, datetime]:
    from glyph_io.database import tuples

    with store.db.tenant(tenant_id) as conn:
        rows = tuples(conn, "bench_document_published", {"keys": keys})
    return {str(key): at for key, at in rows}


def _wait(store: Any, tenant_id: str, uploaded: dict[str, float], log: Log) -> dict[str, float]:
    """Seconds from each key's upload to its document node's first acknowledged change event."""
    seconds: dict[str, float] = {}
    deadline = time.monotonic() + DOCUMENT_WAIT_S
    while len(seconds) < len(uploaded) and time.monotonic() < deadline:
        for key, at in _published_at(store, tenant_id, [k for k in uploaded if k not in seconds]).items():
            seconds[key] = round(at.timestamp() - uploaded[key], 2)
            log(f"  {key.split('/', 1)[1]}: event on Kafka {seconds[key]:.1f} s after the upload")
        time.sleep(0.25)
    missing = sorted(set(uploaded) - set(seconds))
    if missing:
        raise RuntimeError(f"no change event within {DOCUMENT_WAIT_S:.0f} s for {', '.join(missing)}")
    return seconds


def _document(i: int, label: str) -> bytes:
    return (f"# Freshness probe {label} {i}\n\nA document uploaded to measure how long its change event takes to "
            f"reach Kafka. Probe {uuid.uuid4().hex} mentions Kafka, PostgreSQL and Dagster.\n").encode()


def summary(seconds: list[float]) -> dict[str, float]:
    from glyph_tools.bench.queries import percentile

    return {"n": len(seconds), "p50": round(percentile(seconds, 50), 2), "p95": round(percentile(seconds, 95), 2),
            "max": round(max(seconds), 2)}


def run(*, singles: int, burst: int, log: Log) -> dict[str, Any]:
    import dagster as dg

    from glyph_io.settings import settings
    from glyph_tools.backfill import daemon
    from glyph_tools.bench.profile import remove_bench_tenant
    from glyph_tools.instance import dagster_home, workspace_file
    from pipelines.resources import resources

    dagster_home()
    slug = f"{BENCH_PREFIX}fresh-{uuid.uuid4().hex[:6]}"
    keys: list[str] = []
    result: dict[str, Any] = {"tenant": slug, "trigger": settings().ingest_trigger}
    wanted = {k: v for k, v in resources(settings()).items() if k in ("graph_store", "object_store")}
    with dg.build_resources(wanted) as built, dg.DagsterInstance.get() as instance:
        store, objects = built.graph_store, built.object_store
        tenant = store.tenants.create(slug, "Bench freshness")
        result["tenant_id"], result["documents"] = tenant.id, keys
        objects.ensure_bucket()
        instance.add_dynamic_partitions("tenants", [slug])
        try:
            with daemon(instance, workspace_file(), log, kind="SENSOR"), sensors_on(instance, log):
                _wait_for_sensor_daemon(instance, since=time.time() - 25)
                single_s: list[float] = []
                for i in range(singles):
                    key = f"{slug}/single-{i}.md"
                    keys.append(key)
                    uploaded = {key: time.time()}
                    objects.put(key, _document(i, "single"), "text/markdown")
                    single_s += _wait(store, tenant.id, uploaded, log).values()
                result["single"] = summary(single_s) | {"seconds": single_s}
                if not burst:
                    return result
                log(f"burst of {burst} documents")
                batch = [f"{slug}/burst-{i}.md" for i in range(burst)]
                keys += batch
                uploaded = {}
                for i, key in enumerate(batch):
                    uploaded[key] = time.time()
                    objects.put(key, _document(i, "burst"), "text/markdown")
                burst_s = list(_wait(store, tenant.id, uploaded, log).values())
                result["burst"] = summary(burst_s) | {"seconds": burst_s}
        finally:
            remove_bench_tenant(store, objects, slug, [k.split("/", 1)[1] for k in keys], log)
    return result


def render(result: dict[str, Any]) -> str:
    rows = ["| upload -> change event on Kafka | documents | p50 s | p95 s | max s |", "|---|---|---|---|---|"]
    for label, key in (("single documents, one at a time", "single"), ("a burst uploaded together", "burst")):
        s = result.get(key)
        if s:
            rows.append(f"| {label} | {s['n']} | {s['p50']} | {s['p95']} | {s['max']} |")
    return "\n".join(rows)
