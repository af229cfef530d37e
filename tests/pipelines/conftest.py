"""Fixtures for the operator tier: `glyph ui` (webserver + daemon) on the project's Postgres instance, small tenants.

Started once per session (the browser and GraphQL modules share one webserver/daemon); everything created here is
removed afterwards: tenant rows (cascade), their S3 objects, their Dagster partitions.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DOCS = {
    "notes/kafka.md": "# Kafka\n\nChange events go to Kafka topics, one per entity type, keyed by tenant.\n",
    "notes/pgvector.txt": "pgvector stores 384-dimensional embeddings; an HNSW index answers nearest neighbours.\n",
    "guide.html": "<html><body><h1>Glyphs</h1><p>Every node becomes a point in space and time.</p></body></html>",
}


@dataclass
class UiServer:
    url: str
    port: int

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = json.loads(resp.read())
        assert not data.get("errors"), data["errors"]
        return data["data"]


@dataclass
class Tenant:
    id: str
    slug: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def dagster_home(env: dict[str, str], migrated: None) -> Path:
    """DAGSTER_HOME as `glyph ui` sets it, so DagsterInstance.get() is the instance it serves (Postgres storage)."""
    from glyph_tools.ui import ui_environment

    ui_environment()
    assert os.environ.get("GLYPH_DAGSTER_PG_URL"), "GLYPH_DAGSTER_PG_URL missing: `glyph services up`"
    return Path(os.environ["DAGSTER_HOME"])


@pytest.fixture(scope="session")
def pg_instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.get() as instance:
        assert "Postgres" in type(instance.run_storage).__name__, type(instance.run_storage)
        yield instance


@pytest.fixture(scope="session")
def ui_server(dagster_home: Path) -> Iterator[UiServer]:
    """`glyph ui --background` on a free port (through the click command itself), stopped at the end.

    Its dead_runs sensor fails runs silent for 25 s (default 60 s: a killed run's test would wait longer).
    """
    os.environ["GLYPH_RUN_STALE_AFTER_S"] = "25"
    port = _free_port()
    cmd = [sys.executable, "-m", "glyph_tools.ui", "--background", "--port", str(port), "--timeout", "120"]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"glyph ui failed:\n{proc.stdout}\n{proc.stderr}"
    url = proc.stdout.strip().splitlines()[-1]
    assert url == f"http://127.0.0.1:{port}", proc.stdout
    print(f"glyph ui ready in {time.monotonic() - started:.1f} s at {url}")
    try:
        yield UiServer(url, port)
    finally:
        subprocess.run([sys.executable, "-m", "glyph_tools.ui", "stop", "--port", str(port)], cwd=PROJECT_ROOT,
                       capture_output=True, text=True, timeout=120)


def _object_store() -> Any:
    """The ObjectStore with its settings resolved (the Definitions' copy holds EnvVars, resolved only in runs)."""
    from glyph_io.settings import settings
    from pipelines.resources import resources

    return resources(settings(), resolved=True)["object_store"]


@pytest.fixture(scope="session")
def make_ui_tenant(env: dict[str, str], migrated: None, pg_instance: dg.DagsterInstance
                   ) -> Iterator[Callable[..., Tenant]]:
    """Factory: a tenant row, its Dagster partition and (optionally) a few tiny documents under its S3 prefix."""
    from assets.partitions import TENANTS

    created: list[Tenant] = []
    store = _object_store()

    def make(prefix: str, docs: dict[str, str] | None = DOCS) -> Tenant:
        tenant_id = str(uuid.uuid4())
        tenant = Tenant(tenant_id, f"{prefix}-{tenant_id[:8]}")
        with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
            conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, %s)",
                         (tenant.id, tenant.slug, prefix.title()))
        created.append(tenant)
        store.ensure_bucket()
        for key, text in (docs or {}).items():
            store.put(f"{tenant.slug}/{key}", text.encode(), "text/html" if key.endswith(".html") else "text/plain")
        pg_instance.add_dynamic_partitions(TENANTS, [tenant.slug])
        return tenant

    yield make
    for tenant in created:
        for obj in store.list(f"{tenant.slug}/"):
            store.remove(obj.key)
        pg_instance.delete_dynamic_partition(TENANTS, tenant.slug)
        with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
            conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant.id,))
            conn.execute("DELETE FROM tenants WHERE id = %s", (tenant.id,))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def wait_for_runs(instance: dg.DagsterInstance, filters: dg.RunsFilter, count: int, timeout: float
                  ) -> list[dg.DagsterRun]:
    """Wait until `count` runs match and all have finished; fail with the failed runs' errors otherwise."""
    deadline = time.monotonic() + timeout
    runs: list[dg.DagsterRun] = []
    while time.monotonic() < deadline:
        runs = list(instance.get_runs(filters=filters))
        if len(runs) >= count and all(r.is_finished for r in runs):
            break
        time.sleep(1)
    summary = [(r.run_id[:8], r.job_name, r.tags.get("dagster/partition"), r.status.value) for r in runs]
    assert len(runs) >= count and all(r.is_finished for r in runs), f"runs not finished in {timeout} s: {summary}"
    failed = [r for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
    if failed:
        messages = []
        for run in failed:
            for rec in instance.all_logs(run.run_id):
                if rec.dagster_event and rec.dagster_event.is_failure:
                    messages.append(f"{run.run_id[:8]} {rec.step_key}: {rec.message[:600]}")
        pytest.fail(f"runs failed: {summary}\n" + "\n".join(messages))
    return runs


def tenant_scalar(env: dict[str, str], tenant_id: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(env["GLYPH_APP_DATABASE_URL"]) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return row[0] if row else None
