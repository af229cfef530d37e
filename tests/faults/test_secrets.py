"""No password from a DSN/URL (database, Redis, S3 secret key) appears in logs, event records or run metadata."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from glyph_io.settings import redact
from tests.faults.conftest import put_objects, run, tiny_docs

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.timeout(300)]

CANARY_REDIS = "canary-redis-pw-5f2e9a"


def secrets_in_env() -> dict[str, str]:
    out = {}
    for name in ("GLYPH_DATABASE_URL", "GLYPH_APP_DATABASE_URL", "GLYPH_READONLY_DATABASE_URL",
                 "GLYPH_SUPERUSER_DATABASE_URL", "GLYPH_DAGSTER_PG_URL", "GLYPH_REDIS_URL"):
        url = os.environ.get(name)
        if url:
            password = urlsplit(url).password
            if password:
                out[name] = unquote(password)
    out["GLYPH_S3_SECRET_KEY"] = os.environ["GLYPH_S3_SECRET_KEY"]
    if os.environ.get("GLYPH_KAFKA_SASL_PASSWORD"):
        out["GLYPH_KAFKA_SASL_PASSWORD"] = os.environ["GLYPH_KAFKA_SASL_PASSWORD"]
    assert all(len(v) >= 6 for v in out.values()), "test secrets too short to search for"
    return out


def event_text(instance: Any) -> str:
    from dagster._serdes import serialize_value

    parts = []
    for record in instance.get_run_records():
        run_ = record.dagster_run
        parts.append(serialize_value(run_))
        for event in instance.all_logs(run_.run_id):
            parts.append(serialize_value(event))
            parts.append(event.user_message or "")
    return "\n".join(parts)


def assert_no_secrets(texts: dict[str, str], secrets: dict[str, str]) -> None:
    leaks = [f"{secret_name} in {where}" for where, text in texts.items() for secret_name, value in secrets.items()
             if value in text]
    assert not leaks, f"secrets leaked: {leaks}"


def test_no_secret_in_logs_or_event_records(s3_tenant: Any, dagster_instance: Any, caplog: Any, capfd: Any,
                                            monkeypatch: Any) -> None:
    secrets = secrets_in_env()
    tenant_id, slug = s3_tenant("secrets")
    put_objects(slug, tiny_docs(2, seed=51))
    caplog.set_level(logging.DEBUG)
    ok = run("tenant_ingest", dagster_instance, partition_key=slug)
    assert ok.ok, ok.log
    published = run("publish_events", dagster_instance)
    # a cache URL pointing nowhere: the run degrades to encoding and must not print the URL's password
    monkeypatch.setenv("GLYPH_REDIS_URL", f"redis://:{CANARY_REDIS}@127.0.0.1:1/0")
    put_objects(slug, tiny_docs(1, seed=52, folder="more"))
    degraded = run("tenant_ingest", dagster_instance, partition_key=slug)
    assert degraded.ok, degraded.log
    out, err = capfd.readouterr()
    texts = {"event log": event_text(dagster_instance), "python logging": caplog.text,
             "stdout": out, "stderr": err, "runner log": ok.log + published.log + degraded.log,
             "metadata": repr([ok.metadata, published.metadata, degraded.metadata])}
    assert_no_secrets(texts, {**secrets, "canary redis password": CANARY_REDIS})
    assert "source_documents" in texts["event log"]  # the capture really saw the run


@pytest.mark.parametrize("raw, hidden, kept", [
    ("postgresql://glyph_app:s3cr3t-Pw@127.0.0.1:55432/glyph", "s3cr3t-Pw", "postgresql://glyph_app:***@127.0.0.1"),
    ("postgresql+psycopg2://glyph_dagster:pw-Xy_9@localhost/glyph_dagster", "pw-Xy_9", "glyph_dagster:***@"),
    ("redis://:r3dis-pass@127.0.0.1:56379/0", "r3dis-pass", "redis://:***@127.0.0.1"),
    ("rediss://default:tls%2Fpass@cache.example:6380", "tls%2Fpass", "rediss://default:***@"),
    ("failed: could not connect to postgresql://u:pa$$word@db:5432/x (timeout)", "pa$$word", "(timeout)"),
    ("two: redis://:aa11bb@h1 and postgresql://o:cc22dd@h2/db", "cc22dd", "redis://:***@h1"),
    ("http://minio:minio-secret-key@s3.local:9000/bucket", "minio-secret-key", "http://minio:***@"),
], ids=["postgres", "psycopg2-scheme", "redis", "rediss-encoded", "in-message", "two-urls", "http-s3"])
def test_redact_hides_url_passwords(raw: str, hidden: str, kept: str) -> None:
    out = redact(raw)
    assert hidden not in out
    assert kept in out
    assert "aa11bb" not in redact("two: redis://:aa11bb@h1 and postgresql://o:cc22dd@h2/db")


def test_redact_leaves_text_without_secrets_alone() -> None:
    text = "object store 127.0.0.1:8333 failed while listing t-1/: MaxRetryError: user@example.com"
    assert redact(text) == text


@pytest.mark.parametrize("raw, hidden", [
    ("host=127.0.0.1 port=55432 user=glyph_app password=kv-secret-1 dbname=glyph", "kv-secret-1"),
    ("postgresql://glyph_app@127.0.0.1/glyph?password=qp-secret-2", "qp-secret-2"),
], ids=["libpq-keywords", "url-query"])
def test_redact_hides_keyword_and_query_passwords(raw: str, hidden: str) -> None:
    """libpq also accepts `password=` as a keyword or URL query parameter; a log line must not carry it either."""
    assert hidden not in redact(raw)
