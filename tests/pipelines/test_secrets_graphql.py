"""Secrets never reach the UI: through Dagster's GraphQL API (what the UI shows as a resource's configuration), every
connection setting of every resource is an environment variable's *name*, and no secret value appears anywhere."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

QUERY = """
query($selector: ResourceSelector!) { topLevelResourceDetailsOrError(resourceSelector: $selector) {
  __typename ... on ResourceDetails { name configuredValues { key value type } } ... on PythonError { message } } }"""
LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"
SECRETS = {"graph_store": {"app_dsn": "GLYPH_APP_DATABASE_URL", "owner_dsn": "GLYPH_DATABASE_URL"},
           "object_store": {"access_key": "GLYPH_S3_ACCESS_KEY", "secret_key": "GLYPH_S3_SECRET_KEY"},
           "cache": {"url": "GLYPH_REDIS_URL"},
           "event_bus": {"sasl_password": "GLYPH_KAFKA_SASL_PASSWORD", "bootstrap_servers": "GLYPH_KAFKA_BOOTSTRAP"}}


@pytest.fixture()
def with_sasl_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Kafka SASL password in the environment the code location loads with (a real setting, not a stub)."""
    from glyph_io.settings import settings

    password = "sasl-" + os.urandom(8).hex()
    monkeypatch.setenv("GLYPH_KAFKA_SASL_PASSWORD", password)
    monkeypatch.setenv("GLYPH_KAFKA_SASL_USERNAME", "glyph-publisher")
    settings.cache_clear()
    yield password
    settings.cache_clear()


def test_resource_configuration_shows_variable_names_never_values(with_sasl_password: str, tmp_path: Any,
                                                                  env: dict[str, str]) -> None:
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster_graphql.cli import execute_query

    from glyph_tools.instance import WORKSPACE

    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(WORKSPACE)
    answers: dict[str, Any] = {}
    with dg.instance_for_test() as instance, \
            WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as context:
        location = execute_query(context, LOCATION)["data"]["workspaceOrError"]["locationEntries"][0]["name"]
        for resource in SECRETS:
            selector = {"repositoryLocationName": location, "repositoryName": "__repository__",
                        "resourceName": resource}
            answers[resource] = execute_query(context, QUERY, {"selector": selector})
    for resource, fields in SECRETS.items():
        details = answers[resource]["data"]["topLevelResourceDetailsOrError"]
        assert details["__typename"] == "ResourceDetails", details
        shown = {v["key"]: (v["type"], v["value"]) for v in details["configuredValues"]}
        for field, variable in fields.items():
            assert shown[field] == ("ENV_VAR", variable), (resource, field, shown.get(field))
    text = json.dumps(answers)
    secrets = [with_sasl_password] + [env[k] for k in ("GLYPH_APP_DATABASE_URL", "GLYPH_DATABASE_URL",
                                                        "GLYPH_S3_SECRET_KEY", "GLYPH_REDIS_URL")]
    assert not [s for s in secrets if s in text], "a secret value is visible through the GraphQL API"
