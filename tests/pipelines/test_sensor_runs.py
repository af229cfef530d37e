"""A new object under one tenant's prefix -> the `new_objects` sensor requests a run for that tenant only -> the run
executes against the real services (S3, PostgreSQL, Redis, the model) on the project's Postgres Dagster instance.
"""

from __future__ import annotations

import time
from typing import Any

import dagster as dg
import pytest

from pipelines.sensors import new_objects
from tests.pipelines.conftest import _object_store, tenant_scalar

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(240)]


def evaluate(instance: dg.DagsterInstance, cursor: str | None) -> Any:
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"object_store": _object_store()})
    return new_objects(context)


def test_new_object_under_a_tenant_prefix_runs_that_tenant_only(make_ui_tenant: Any,
                                                                pg_instance: dg.DagsterInstance,
                                                                env: dict[str, str]) -> None:
    from glyph_tools.runner import definitions
    defs = definitions()

    tenant, other = make_ui_tenant("sena"), make_ui_tenant("senb")
    # first tick: every known tenant prefix is new to the sensor (a fresh cursor); remember what it saw
    first = evaluate(pg_instance, None)
    assert isinstance(first, dg.SensorResult)
    assert {tenant.slug, other.slug} <= {r.partition_key for r in first.run_requests}
    cursor = first.cursor
    # nothing changed: the sensor says why it skips
    idle = evaluate(pg_instance, cursor)
    assert isinstance(idle, dg.SkipReason) and "no object changes" in (idle.skip_message or "")

    _object_store().put(f"{tenant.slug}/notes/new-report.md", b"# Report\n\nA new object arrived for this tenant.\n",
                        "text/markdown")
    result = evaluate(pg_instance, cursor)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests] == [tenant.slug]
    request = result.run_requests[0]
    assert request.tags["glyph/tenant"] == tenant.slug and request.run_key.startswith(f"{tenant.slug}|")

    # the requested run, on the real instance and services
    started = time.monotonic()
    job = defs.get_job_def("tenant_ingest")
    run = job.execute_in_process(instance=pg_instance, partition_key=request.partition_key,
                                 tags={**request.tags, "dagster/sensor_name": "new_objects"}, raise_on_error=False)
    assert run.success, [e.message for e in run.all_events if e.is_failure]
    stored = pg_instance.get_run_by_id(run.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS
    assert stored.tags["dagster/partition"] == tenant.slug
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE deleted_at IS NULL") == 4
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE storage_path = %s",
                         (f"{tenant.slug}/notes/new-report.md",)) == 1
    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL") > 0
    assert tenant_scalar(env, other.id, "SELECT count(*) FROM files") == 0  # the other tenant was not run
    # the next tick sees nothing new
    assert isinstance(evaluate(pg_instance, result.cursor), dg.SkipReason)
    print(f"sensor-requested run for {tenant.slug}: {time.monotonic() - started:.1f} s")
