"""Kafka goes away with events pending in the outbox: nothing is lost, and everything arrives after the restart.

Outbox rows are made the way the pipeline makes them: the node/edge triggers write them in the same transaction
as the rows (here a small graph inserted as glyph_app in the tenant's context, no embedding needed).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest

from tests.faults.conftest import (
    failure_messages,
    rows,
    run,
    service_down,
    service_status,
    tenant_conn,
)

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.timeout(400)]

N_NODES = 25


def _make_outbox_events(tenant_id: str) -> int:
    """A small graph (nodes + a chain of edges + one delete) whose triggers fill change_outbox; returns its size."""
    with tenant_conn(tenant_id) as conn:
        ids = [r[0] for r in conn.execute(
            "INSERT INTO nodes_v2 (tenant_id, kind, name, external_key, content_hash) "
            "SELECT %s, 'concept', 'outage node ' || g, 'test:outage:' || g, md5(g::text) "
            "FROM generate_series(1, %s) g RETURNING id", (tenant_id, N_NODES)).fetchall()]
        for src, dst in zip(ids, ids[1:]):
            conn.execute("INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%s, %s, %s, 'relates_to')",
                         (tenant_id, src, dst))
        conn.execute("UPDATE nodes_v2 SET name = name || ' (renamed)' WHERE id = %s", (ids[0],))
        conn.execute("DELETE FROM nodes_v2 WHERE id = %s", (ids[-1],))  # also cascades one edge delete
    return int(rows(tenant_id, "SELECT count(*) FROM change_outbox")[0][0])


def _consume_ids(tenant_id: str, idle_seconds: float = 4.0, max_seconds: float = 90.0) -> list[str]:
    """Every ce_id of the tenant on the change topics: group-less consumer, all partitions from the beginning,
    polled until nothing arrives for `idle_seconds` (Tansu's end_offsets cannot be trusted)."""
    from kafka import KafkaConsumer, TopicPartition

    prefix = os.environ.get("GLYPH_KAFKA_TOPIC_PREFIX", "glyphfoundry")
    consumer = KafkaConsumer(bootstrap_servers=os.environ["GLYPH_KAFKA_BOOTSTRAP"].split(","), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=1000,
                             request_timeout_ms=15000)
    try:
        parts: list[Any] = []
        for entity in ("node", "edge", "glyph"):
            topic = f"{prefix}.{entity}s"
            for p in consumer.partitions_for_topic(topic) or ():
                parts.append(TopicPartition(topic, p))
        assert parts, "no change topics on the broker after publishing"
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        seen: list[str] = []
        started = last = time.monotonic()
        while time.monotonic() - last < idle_seconds and time.monotonic() - started < max_seconds:
            batch = consumer.poll(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    headers = dict(rec.headers or [])
                    if headers.get("tenant_id", b"").decode() == tenant_id and rec.value is not None:
                        seen.append(headers["ce_id"].decode())
                last = time.monotonic()
        return seen
    finally:
        consumer.close()


def test_broker_outage_loses_nothing(s3_tenant: Any, dagster_instance: Any) -> None:
    tenant_id, _slug = s3_tenant("kafka-outage")
    with service_down("kafka") as outage:
        assert not service_status()["kafka"]
        # the events are made while the broker is down, so no other publisher can send them before our run
        total = _make_outbox_events(tenant_id)
        assert total >= 2 * N_NODES, f"triggers wrote only {total} outbox rows"
        ids_before = {r[0] for r in rows(tenant_id, "SELECT event_id::text FROM change_outbox")}
        started = time.monotonic()
        failed = run("publish_events", dagster_instance)
        elapsed = time.monotonic() - started
        assert outage["restarted_by_others"] == 0 or not failed.ok, "the broker was restarted during the outage"
        assert not failed.ok, "publishing with the broker down must fail the run"
        message = failure_messages(dagster_instance)
        assert "Kafka" in message and "unavailable" in message, message
        assert message.count("Kafka") >= 2, f"expected the retry policy to try again:\n{message}"
        assert elapsed < 120, f"the failing run took {elapsed:.0f} s (retries must be bounded)"

        # nothing lost: every event still there, unpublished
        after = rows(tenant_id, "SELECT event_id::text, published_at, attempts, last_error FROM change_outbox")
        assert {r[0] for r in after} == ids_before
        assert all(r[1] is None for r in after), "an event was marked published while the broker was down"
        attempts_recorded = sum(1 for r in after if r[2] and r[2] > 0)

    ok = run("publish_events", dagster_instance)
    assert ok.ok, ok.log
    pending = rows(tenant_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0]
    assert pending == 0

    seen = _consume_ids(tenant_id)
    assert ids_before - set(seen) == set(), f"{len(ids_before - set(seen))} events never reached Kafka"
    assert set(seen) <= ids_before, "the consumer saw event ids that are not in this tenant's outbox"
    assert len(set(seen)) == total
    duplicates = len(seen) - len(set(seen))
    print(f"\nbroker outage: {total} events, failed run {elapsed:.0f} s, {len(seen)} records consumed, "
          f"{duplicates} duplicates, 0 lost; rows with attempts/last_error after the outage: {attempts_recorded}")
    # the failed delivery is visible on the rows (attempts/last_error), not only in the run's log
    assert attempts_recorded == total, (
        f"only {attempts_recorded}/{total} pending events record the failed delivery: when the producer cannot "
        "connect at all, change_events raises before any attempts/last_error is written")


def test_outbox_rows_are_written_in_the_same_transaction(s3_tenant: Any) -> None:
    """A rolled-back graph change leaves no outbox row (the event can never describe a change that did not happen)."""
    tenant_id, _ = s3_tenant("outbox-tx")
    import psycopg

    with psycopg.connect(os.environ["GLYPH_APP_DATABASE_URL"]) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
            conn.execute("INSERT INTO nodes_v2 (tenant_id, kind, name, external_key) VALUES (%s, 'concept', 'x', %s)",
                         (tenant_id, f"test:{uuid.uuid4()}"))
            assert conn.execute("SELECT count(*) FROM change_outbox").fetchone()[0] == 1
    assert rows(tenant_id, "SELECT count(*) FROM change_outbox")[0][0] == 0
