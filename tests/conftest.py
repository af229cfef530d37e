"""Session fixtures for the real local services (started by `make test` / `glyph services up`).

Every connection setting comes from the GLYPH_* variables; a missing one is an error, never a skip.
Tests create their own tenants with random slugs and delete them afterwards (tenant deletion cascades).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import psycopg
import pytest

REQUIRED = ["GLYPH_DATABASE_URL", "GLYPH_APP_DATABASE_URL", "GLYPH_READONLY_DATABASE_URL", "GLYPH_S3_ENDPOINT",
            "GLYPH_S3_ACCESS_KEY", "GLYPH_S3_SECRET_KEY", "GLYPH_KAFKA_BOOTSTRAP", "GLYPH_REDIS_URL"]


def _load_env() -> None:
    """Use the local services' settings when the shell did not export them (e.g. plain `pytest`)."""
    from glyph_tools.services import load_local_env

    load_local_env()


_load_env()


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    missing = [k for k in REQUIRED if not os.environ.get(k)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `glyph services up` (or `make test`), or export them")
    return {k: os.environ[k] for k in REQUIRED + ["GLYPH_SUPERUSER_DATABASE_URL"] if os.environ.get(k)}


@pytest.fixture(scope="session")
def migrated(env: dict[str, str]) -> None:
    from glyph_io.sql import migrate

    migrate(env["GLYPH_DATABASE_URL"])


@pytest.fixture()
def owner_conn(env: dict[str, str], migrated: None) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(env["GLYPH_DATABASE_URL"], autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def resources(env: dict[str, str], migrated: None) -> dict[str, Any]:
    from glyph_io.settings import settings
    from pipelines.resources import resources as make

    return make(settings(), resolved=True)


@pytest.fixture(scope="session")
def graph_store(resources: dict[str, Any]) -> Any:
    return resources["graph_store"]


@pytest.fixture()
def make_tenant(env: dict[str, str], migrated: None) -> Iterator[Callable[[str], tuple[str, str]]]:
    """Factory: make_tenant("acme") -> (tenant_id, slug) with a unique slug; deleted (cascade) after the test."""
    from tests.helpers import create_tenant, delete_tenant_rows

    created: list[str] = []

    def make(prefix: str = "t") -> tuple[str, str]:
        tenant_id, slug = create_tenant(prefix)
        created.append(tenant_id)
        return tenant_id, slug

    yield make
    for tenant_id in created:
        delete_tenant_rows(tenant_id)


@pytest.fixture()
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def tenant_count(env: dict[str, str], tenant_id: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """Run one scalar query as the app role inside the tenant's context (helper for assertions)."""
    with psycopg.connect(env["GLYPH_APP_DATABASE_URL"]) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return row[0] if row else None
