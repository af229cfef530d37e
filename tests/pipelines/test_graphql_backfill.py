"""One tenant x two days, launched through Dagster's GraphQL API (`launchPartitionBackfill`) of `glyph ui`.

"Tenant x day" in our design (assets/partitions.py): the tenant stages are tenant-partitioned, glyphs are
day-partitioned and select tenants with the run tag `glyph/tenants`. So the backfill is two asset backfills:
the tenant stages over the tenant's partition, then glyph_projections over two days tagged with the tenant.
The backfill daemon of `glyph ui` turns them into queued runs; the runs execute against the real services.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import dagster as dg
import pytest

from pipelines.jobs import TENANT_STAGES
from tests.pipelines.conftest import UiServer, tenant_scalar, wait_for_runs

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(300)]

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on ConflictingExecutionParamsError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status numPartitions tags { key value } }
    ... on PythonError { message }
  }
}"""
RUNS = """
query Runs($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}"""
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "CANCELING"}


def launch_backfill(ui: UiServer, assets: list[str], partitions: list[str], tags: dict[str, str]) -> str:
    params = {
        "assetSelection": [{"path": [a]} for a in assets],
        "partitionNames": partitions,
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
        "title": "test: " + ",".join(partitions),
    }
    result = ui.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return str(result["backfillId"])


def wait_for_backfill(ui: UiServer, backfill_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfill = ui.graphql(STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] in DONE:
            return backfill
        time.sleep(1)
    pytest.fail(f"backfill {backfill_id} not finished in {timeout} s (last status {backfill['status']})")


def two_days() -> list[str]:
    today = datetime.now(timezone.utc).date()
    return [(today - timedelta(days=1)).isoformat(), today.isoformat()]


def test_tenant_by_two_days_backfill_through_graphql(ui_server: UiServer, make_ui_tenant: Any,
                                                     pg_instance: dg.DagsterInstance, env: dict[str, str]) -> None:
    """One asset backfill: the tenant stages over the tenant's partition and glyph_projections over two days
    (`partitionsByAssets`); the daemon runs the glyph days only after the tenant's graph is materialized."""
    tenant = make_ui_tenant("gqla")
    bystander = make_ui_tenant("gqlb")
    started = time.monotonic()
    days = two_days()
    params = {
        "partitionsByAssets": (
            [{"assetKey": {"path": [a]}, "partitions": {"range": {"start": tenant.slug, "end": tenant.slug}}}
             for a in TENANT_STAGES]
            + [{"assetKey": {"path": ["glyph_projections"]},
                "partitions": {"range": {"start": days[0], "end": days[1]}}}]),
        "tags": [{"key": "glyph/tenants", "value": tenant.slug}],
        "title": f"{tenant.slug} x {days[0]}..{days[1]}",
        # the stages of a run are a chain: one process per run instead of one per step (docs/operations.md)
        "runConfigData": {"execution": {"config": {"in_process": {}}}},
    }
    result = ui_server.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    backfill_id = str(result["backfillId"])

    runs = wait_for_runs(pg_instance, dg.RunsFilter(tags={"dagster/backfill": backfill_id}), 3, 200)
    assert all(r.run_config.get("execution") == {"config": {"in_process": {}}} for r in runs)
    by_partition = {r.tags["dagster/partition"]: r for r in runs}
    assert sorted(by_partition) == sorted([tenant.slug, *days]), list(by_partition)
    assert all(r.tags.get("glyph/tenants") == tenant.slug for r in runs)
    ingest_end = pg_instance.get_run_record_by_id(by_partition[tenant.slug].run_id).end_time
    glyph_starts = [pg_instance.get_run_record_by_id(by_partition[d].run_id).start_time for d in days]
    assert all(start >= ingest_end for start in glyph_starts), "glyph days ran before the tenant's graph existed"

    assert tenant_scalar(env, tenant.id, "SELECT count(*) FROM files WHERE deleted_at IS NULL") == 3
    nodes = tenant_scalar(env, tenant.id, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL")
    glyphs_today = tenant_scalar(env, tenant.id, "SELECT count(*) FROM glyphs_4d WHERE t = %s::date", (days[1],))
    assert glyphs_today == nodes > 0
    assert tenant_scalar(env, bystander.id, "SELECT count(*) FROM files") == 0
    assert tenant_scalar(env, bystander.id, "SELECT count(*) FROM glyphs_4d") == 0

    # the same API reports the backfill's runs as succeeded (the backfill's own status follows on the daemon's next
    # 30-second tick, so it is only checked for not having failed)
    api_runs = ui_server.graphql(RUNS, {"id": backfill_id})["runsOrError"]["results"]
    partition_of = {r["runId"]: {t["key"]: t["value"] for t in r["tags"]}["dagster/partition"] for r in api_runs}
    assert sorted((partition_of[r["runId"]], r["status"]) for r in api_runs) == sorted(
        (p, "SUCCESS") for p in [tenant.slug, *days]), api_runs
    backfill = ui_server.graphql(STATUS, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["status"] in {"REQUESTED", "COMPLETED", "COMPLETED_SUCCESS"}, backfill

    # and `glyph metrics` (app role) sees the tenant's unpublished change events
    from glyph_io.graph_store import GraphStore, opened

    with opened(GraphStore(app_dsn=env["GLYPH_APP_DATABASE_URL"], owner_dsn=env["GLYPH_DATABASE_URL"])) as store:
        (figures,) = [f for f in store.outbox.metrics() if f.slug == tenant.slug]
    pending = tenant_scalar(env, tenant.id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")
    assert figures.pending == pending and figures.quarantined == 0
    assert (figures.lag_seconds > 0) == (pending > 0)
    print(f"tenant x 2 days through GraphQL: {time.monotonic() - started:.1f} s")
