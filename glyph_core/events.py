"""Outbox rows -> Kafka records: CloudEvents 1.0 binary-mode headers + a Debezium-style value (pure).

Consumers deduplicate by `ce_id` (= the outbox event id); the key (tenant id + entity id) keeps every entity's
events in one partition, so per-entity order holds. A delete is followed by a tombstone for compacted topics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

SPEC_VERSION = "1.0"
SCHEMA_VERSION = 1
SOURCE = "urn:glyphfoundry:pipelines"
OPS = {"c": "created", "u": "updated", "d": "deleted"}
TABLES = {"node": "nodes_v2", "edge": "edges_v2", "glyph": "glyphs_4d"}


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    tenant_id: str
    entity_type: str  # node | edge | glyph
    entity_id: str
    op: str  # c | u | d
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    txid: int
    occurred_at: datetime


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes | None  # None = tombstone
    headers: list[tuple[str, bytes]]


def event_type(entity_type: str, op: str) -> str:
    """`glyphfoundry.node.upserted.v1` / `glyphfoundry.node.deleted.v1` (c and u are both upserts)."""
    verb = "deleted" if op == "d" else "upserted"
    return f"glyphfoundry.{entity_type}.{verb}.v{SCHEMA_VERSION}"


def record_key(tenant_id: str, entity_id: str) -> bytes:
    return f"{tenant_id}:{entity_id}".encode()


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def to_records(event: OutboxEvent, topic_prefix: str = "glyphfoundry") -> list[KafkaRecord]:
    """The record(s) for one outbox event: the change, plus a tombstone after a delete."""
    topic = f"{topic_prefix}.{event.entity_type}s"
    key = record_key(event.tenant_id, event.entity_id)
    value = {
        "schema_version": SCHEMA_VERSION,
        "event_id": event.event_id,
        "type": event_type(event.entity_type, event.op),
        "op": event.op,
        "tenant_id": event.tenant_id,
        "entity": {"type": event.entity_type, "id": event.entity_id},
        "before": event.before,
        "after": event.after,
        "source": {"connector": "glyph-outbox", "db": "glyph", "schema": "public",
                   "table": TABLES[event.entity_type], "txId": event.txid, "sequence": event.seq},
        "occurred_at": _iso(event.occurred_at),
        "ts_ms": int(event.occurred_at.timestamp() * 1000),
    }
    headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", event.event_id.encode()),
        ("ce_type", event_type(event.entity_type, event.op).encode()),
        ("ce_source", SOURCE.encode()),
        ("ce_subject", f"{event.entity_type}/{event.entity_id}".encode()),
        ("ce_time", _iso(event.occurred_at).encode()),
        ("content-type", b"application/json"),
        ("tenant_id", event.tenant_id.encode()),
    ]
    records = [KafkaRecord(topic, key, json.dumps(value, default=str, separators=(",", ":")).encode(), headers)]
    if event.op == "d":
        records.append(KafkaRecord(topic, key, None, [("ce_id", event.event_id.encode()), ("tenant_id", event.tenant_id.encode())]))
    return records
