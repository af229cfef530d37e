"""The `glyph` command as a user runs it (subprocess, real services)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.helpers import in_tenant, upload

GLYPH = str(Path(sys.executable).parent / "glyph")


def _glyph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GLYPH, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_services_status_lists_four_servers_and_env_prints_exports() -> None:
    status = _glyph("services", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert [line.split()[0] for line in status.stdout.splitlines()] == ["postgres", "s3", "kafka", "redis"]
    env = _glyph("services", "env")
    names = {line.split("=", 1)[0].removeprefix("export ") for line in env.stdout.splitlines()}
    assert {"GLYPH_DATABASE_URL", "GLYPH_APP_DATABASE_URL", "GLYPH_READONLY_DATABASE_URL", "GLYPH_S3_ENDPOINT",
            "GLYPH_S3_ACCESS_KEY", "GLYPH_S3_SECRET_KEY", "GLYPH_KAFKA_BOOTSTRAP", "GLYPH_REDIS_URL"} <= names


def test_db_migrate_is_idempotent() -> None:
    first, second = _glyph("db", "migrate"), _glyph("db", "migrate")
    assert first.returncode == second.returncode == 0
    assert second.stdout.strip() == "applied: nothing (up to date)"


def test_missing_setting_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLYPH_")}
    env["GLYPH_STATE_DIR"] = "/nonexistent-glyph-state"
    result = subprocess.run([GLYPH, "db", "migrate"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "GLYPH_DATABASE_URL is not set" in result.stderr


def test_backfill_one_tenant_over_two_days(make_tenant: Any, resources: dict[str, Any], tmp_path: Path) -> None:
    tenant_id, slug = make_tenant("cli")
    upload(resources, slug, {"a.md": "# A\n\nBackfills replay tenant windows.", "b.txt": "Two days of glyphs."})
    today = date.today()
    result = _glyph("backfill", "--tenant", slug, "--from", (today - timedelta(days=1)).isoformat(),
                    "--to", today.isoformat(), env={"DAGSTER_HOME": str(tmp_path), "GLYPH_DAGSTER_PG_URL": ""})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("glyph_days[") == 2 and f"tenant_ingest[{slug}]" in result.stdout
    # a real backfill, recorded in the instance (the UI's Backfills page), executed by a daemon through the queue
    import dagster as dg

    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        (backfill,) = instance.get_backfills()
        assert backfill.status.value == "COMPLETED_SUCCESS"
        runs = instance.get_runs(dg.RunsFilter.for_backfill(backfill.backfill_id))
        assert sorted(r.tags.get("dagster/partition", "-") for r in runs) == sorted(
            ["-", slug, (today - timedelta(days=1)).isoformat(), today.isoformat()])
    # a day's window holds the nodes alive at its end: yesterday had none yet, today has every embedded node
    windows = in_tenant(tenant_id, "SELECT t::date, count(*) FROM glyphs_4d GROUP BY 1")
    embedded = in_tenant(tenant_id, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL")[0][0]
    assert windows == [(today, embedded)]
    for obj in resources["object_store"].list(f"{slug}/"):
        resources["object_store"].remove(obj.key)
