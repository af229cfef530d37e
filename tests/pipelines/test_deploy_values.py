"""deploy/helm/values.yaml for the official Dagster chart: parse it and check what the chart and our design need.

The chart itself cannot be downloaded here, so this checks the keys the chart reads (chart 1.13.x value names) and
that the deployment says what dagster.yaml says locally (Postgres storage, one run per tenant at a time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_postgres_instance_storage_is_external_and_uses_psycopg2(values: dict[str, Any]) -> None:
    pg = values["postgresql"]
    assert pg["enabled"] is False, "instance storage is a managed PostgreSQL, not an in-cluster one"
    assert pg["postgresqlHost"] and pg["postgresqlDatabase"] == "glyph_dagster"
    assert pg["postgresqlScheme"] == "postgresql+psycopg2"
    assert pg["service"]["port"] == 5432
    assert values["global"]["postgresqlSecretName"], "password comes from a secret"
    assert values["generatePostgresqlPasswordSecret"] is False
    assert "postgresqlPassword" not in pg, "no password in the values file"


def test_k8s_run_launcher_with_env_from_secrets(values: dict[str, Any]) -> None:
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    cfg = launcher["config"]["k8sRunLauncher"]
    assert {"name": "glyph-pipeline-env"} in cfg["envSecrets"]
    assert cfg["runK8sConfig"]["containerConfig"]["resources"]["requests"]["memory"]


def test_user_code_deployment_of_this_repository(values: dict[str, Any]) -> None:
    import tomllib

    uc = values["dagster-user-deployments"]
    assert uc["enabled"] is True
    (deployment,) = uc["deployments"]
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == module == "pipelines.definitions"
    assert deployment["image"]["repository"] and deployment["image"]["tag"]
    assert deployment["port"] == 3030
    assert {"name": "glyph-pipeline-env"} in deployment["envSecrets"]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True


def test_per_tenant_concurrency_matches_dagster_yaml(values: dict[str, Any]) -> None:
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    queued = coordinator["config"]["queuedRunCoordinator"]
    assert queued["maxConcurrentRuns"] >= 1
    helm_limits = {(l["key"], str(l.get("value"))): l["limit"] for l in queued["tagConcurrencyLimits"]}
    assert helm_limits[("glyph/tenant", str({"applyLimitPerUniqueValue": True}))] == 1
    assert helm_limits[("dagster/partition", str({"applyLimitPerUniqueValue": True}))] == 1
    local = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_coordinator"]["config"]
    local_limits = {(l["key"], str(l.get("value"))): l["limit"] for l in local["tag_concurrency_limits"]}
    assert helm_limits == local_limits, "the deployment and dagster.yaml must limit runs the same way"


def test_retries_and_monitoring_match_dagster_yaml(values: dict[str, Any]) -> None:
    local = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    retries, monitoring = values["dagsterDaemon"]["runRetries"], values["dagsterDaemon"]["runMonitoring"]
    assert retries == {"enabled": True, "maxRetries": local["run_retries"]["max_retries"],
                       "retryOnAssetOrOpFailure": local["run_retries"]["retry_on_asset_or_op_failure"]}
    assert local["run_retries"]["retry_on_asset_or_op_failure"] is False  # terminal step failures are final
    camel = {k: local["run_monitoring"][k] for k in local["run_monitoring"]}
    assert monitoring == {"".join(w.title() if i else w for i, w in enumerate(k.split("_"))): v
                          for k, v in camel.items()}


def test_the_packaged_instance_config_is_the_project_root_one() -> None:
    assert (ROOT / "glyph_tools" / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()


def test_image_migration_job_and_code_location_agree(values: dict[str, Any]) -> None:
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    job = yaml.safe_load((ROOT / "deploy" / "k8s" / "migrate-job.yaml").read_text())
    (container,) = job["spec"]["template"]["spec"]["containers"]
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    assert job["kind"] == "Job" and container["image"] == image and container["args"] == ["db", "migrate"]
    assert {"secretRef": {"name": "glyph-pipeline-env"}} in container["envFrom"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["glyph"]' in dockerfile and "USER 10001" in dockerfile and "HF_HUB_OFFLINE=1" in dockerfile
    assert "scripts/install-package.sh" in dockerfile and "[k8s]" in dockerfile  # the wheel test's install script


def test_daemon_webserver_and_no_secret_literals(values: dict[str, Any]) -> None:
    assert values["dagsterDaemon"]["enabled"] is True
    assert values["dagsterWebserver"]["replicaCount"] >= 1
    assert values["telemetry"]["enabled"] is False
    text = (ROOT / "deploy" / "helm" / "values.yaml").read_text().lower()
    for word in ("password:", "secret_key:", "access_key:"):
        assert word not in text, f"{word} literal in values.yaml: use secrets"
