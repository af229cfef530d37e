"""The object store goes away before/while a tenant is ingested: the run fails cleanly and the next one completes."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from tests.faults.conftest import (
    failure_messages,
    put_objects,
    rows,
    run,
    service_down,
    service_status,
    tiny_docs,
)

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.timeout(400)]

N_DOCS = 5


def test_object_store_outage_fails_cleanly_then_recovers(s3_tenant: Any, dagster_instance: Any, capfd: Any,
                                                         caplog: Any) -> None:
    from tests.faults.test_secrets import assert_no_secrets, event_text, secrets_in_env

    caplog.set_level(logging.DEBUG)
    tenant_id, slug = s3_tenant("s3-outage")
    docs = tiny_docs(N_DOCS, seed=11)
    put_objects(slug, docs)

    with service_down("s3"):
        assert not service_status()["s3"]
        started = time.monotonic()
        failed = run("tenant_ingest", dagster_instance, partition_key=slug)
        elapsed = time.monotonic() - started
        assert not failed.ok, "ingesting with the object store down must fail the run"
        runner_log = failed.log.splitlines()[:3]  # checked at the end, after the recovery
        message = failure_messages(dagster_instance)
        assert "object store" in message, message
        # the retry policy ran out: several attempts of the first step, then the run gave up
        attempts = message.count("object store")
        assert attempts >= 2, f"expected the step to be retried, saw {attempts} failure(s):\n{message}"
        assert elapsed < 240, f"the failing run took {elapsed:.0f} s"
        # nothing half-written: no file row, or only whole ones
        partial = rows(tenant_id, "SELECT count(*) FROM files WHERE processing_status::text <> 'failed' "
                                  "AND (extracted_text IS NULL OR content_hash IS NULL)")[0][0]
        assert partial == 0
        assert rows(tenant_id, "SELECT count(*) FROM file_chunks")[0][0] == 0
        assert rows(tenant_id, "SELECT count(*) FROM nodes_v2")[0][0] == 0
        # the failure names the endpoint, never a secret (S3 secret key, DB/Redis passwords)
        out, err = capfd.readouterr()
        assert_no_secrets({"event log": event_text(dagster_instance), "python logging": caplog.text, "stdout": out,
                           "stderr": err, "runner log": failed.log}, secrets_in_env())

    ok = run("tenant_ingest", dagster_instance, partition_key=slug)
    assert ok.ok, ok.log
    files = rows(tenant_id, "SELECT storage_path, processing_status::text, content_hash IS NOT NULL FROM files")
    assert sorted(f[0] for f in files) == sorted(f"{slug}/{k}" for k in docs)
    assert all(f[2] for f in files), files
    assert rows(tenant_id, "SELECT count(DISTINCT file_id) FROM file_chunks")[0][0] == N_DOCS
    assert rows(tenant_id, "SELECT count(*) FROM nodes_v2 WHERE kind = 'document' AND deleted_at IS NULL")[0][0] == N_DOCS
    dupes = rows(tenant_id, "SELECT count(*) - count(DISTINCT external_key) FROM nodes_v2")[0][0]
    assert dupes == 0
    assert rows(tenant_id, "SELECT count(*) FROM ingest_quarantine")[0][0] == 0
    # glyph_tools.runner.run_job itself (what `glyph run` prints) must return the failure, with its cause
    assert not any("runner.run_job failed while reporting" in line for line in runner_log), runner_log
    runner_lines = [line for line in runner_log if line.startswith("    source_documents:")]
    assert runner_lines and "object store" in runner_lines[0], runner_log


def test_redis_outage_degrades_to_encoding(s3_tenant: Any, dagster_instance: Any) -> None:
    """The embedding cache is optional: with Redis down the ingest still completes (vectors are encoded)."""
    tenant_id, slug = s3_tenant("redis-outage")
    put_objects(slug, tiny_docs(3, seed=12))
    with service_down("redis"):
        result = run("tenant_ingest", dagster_instance, partition_key=slug)
    assert result.ok, result.log
    n_chunks = rows(tenant_id, "SELECT count(*) FROM file_chunks")[0][0]
    assert n_chunks >= 3
    assert rows(tenant_id, "SELECT count(*) FROM embeddings_v2 WHERE obj_type::text = 'chunk'")[0][0] == n_chunks
