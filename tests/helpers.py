"""Small helpers shared by the service-backed tests (real S3, Kafka, Postgres)."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import psycopg


def upload(resources: dict[str, Any], slug: str, docs: dict[str, str | bytes]) -> None:
    store = resources["object_store"]
    store.ensure_bucket()
    for rel, body in docs.items():
        data = body.encode() if isinstance(body, str) else body
        store.put(f"{slug}/{rel}", data)


def create_tenant(slug_prefix: str) -> tuple[str, str]:
    """A tenant with a unique slug `<prefix>-<8 hex>`, provisioned as the owner role."""
    tenant_id = str(uuid.uuid4())
    slug = f"{slug_prefix}-{tenant_id[:8]}"
    with psycopg.connect(os.environ["GLYPH_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, %s)", (tenant_id, slug, slug_prefix.title()))
    return tenant_id, slug


def delete_tenant_rows(tenant_id: str) -> None:
    """Delete a tenant (cascades to all its rows); needs that tenant's context, no policy deletes across tenants."""
    with psycopg.connect(os.environ["GLYPH_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant_id,))
        conn.execute("DELETE FROM tenants WHERE id = %s", (tenant_id,))


def delete_tenant(resources: dict[str, Any], tenant_id: str, slug: str) -> None:
    """The tenant's rows and its objects in the bucket."""
    delete_tenant_rows(tenant_id)
    store = resources["object_store"]
    for obj in store.list(f"{slug}/"):
        store.remove(obj.key)


def in_tenant(tenant_id: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Rows of one query as glyph_app inside the tenant's (transaction-scoped) context."""
    with psycopg.connect(os.environ["GLYPH_APP_DATABASE_URL"]) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def consume_all(topics: list[str], idle_seconds: float = 3.0, max_seconds: float = 60.0) -> list[Any]:
    """Every record on the topics from the beginning; polls until idle (Tansu's end offsets are unreliable)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=os.environ["GLYPH_KAFKA_BOOTSTRAP"].split(","), group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=int(idle_seconds * 1000))
    try:
        parts = []
        for topic in topics:
            for p in consumer.partitions_for_topic(topic) or set():
                parts.append(TopicPartition(topic, p))
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        records: list[Any] = []
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=int(idle_seconds * 1000))
            if not batch:
                break
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        consumer.close()


def header(record: Any, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name:
            return value.decode()
    return None


def event_value(record: Any) -> dict[str, Any] | None:
    return None if record.value is None else json.loads(record.value)
