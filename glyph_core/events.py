"""Outbox rows -> Kafka records of bounded size: CloudEvents 1.0 binary-mode headers + a Debezium-style value (pure).

Consumers deduplicate by `ce_id` (= the outbox event id); the key (tenant id + entity id) keeps every entity's
events in one partition, so per-entity order holds. A delete is followed by a tombstone for compacted topics.

No record exceeds `max_bytes` (key + value + headers), whatever a document contained: when the row images are too
large, their largest fields are cut, largest first, and each cut is listed in `truncated_fields` with the field's
original size and sha256 and the query that fetches the full value, so a consumer can tell and fetch it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from glyph_core.models import EventImage

SPEC_VERSION = "1.0"
SCHEMA_VERSION = 1
SOURCE = "urn:glyphfoundry:pipelines"
TABLES = {"node": "nodes_v2", "edge": "edges_v2", "glyph": "glyphs_4d"}
ENTITY_TYPES = tuple(TABLES)
PREVIEW_CHARS = 256  # what a cut string keeps, so a consumer still sees what the value was about
DEFAULT_MAX_BYTES = 256 * 1024


class EventTooLarge(ValueError):
    """Even with every large field cut, the record exceeds the limit: the event is dead, not retried."""


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes | None  # None = tombstone
    headers: list[tuple[str, bytes]]

    @property
    def size(self) -> int:
        """Bytes this record puts on the wire, framing aside: what the size limit is checked against."""
        return len(self.key) + len(self.value or b"") + sum(len(k) + len(v) for k, v in self.headers)


def topic_names(prefix: str) -> dict[str, str]:
    """Entity type -> topic: `<prefix>.nodes`, `<prefix>.edges`, `<prefix>.glyphs`."""
    return {entity: f"{prefix}.{entity}s" for entity in ENTITY_TYPES}


def event_type(entity_type: str, op: str) -> str:
    """`glyphfoundry.node.upserted.v1` / `glyphfoundry.node.deleted.v1` (c and u are both upserts)."""
    verb = "deleted" if op == "d" else "upserted"
    return f"glyphfoundry.{entity_type}.{verb}.v{SCHEMA_VERSION}"


def record_key(tenant_id: str, entity_id: str) -> bytes:
    return f"{tenant_id}:{entity_id}".encode()


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _dumps(value: object) -> bytes:
    return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False).encode()


def envelope(event: EventImage) -> dict[str, Any]:
    """The record value before any cut."""
    return {
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


def headers(event: EventImage) -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", event.event_id.encode()),
        ("ce_type", event_type(event.entity_type, event.op).encode()),
        ("ce_source", SOURCE.encode()),
        ("ce_subject", f"{event.entity_type}/{event.entity_id}".encode()),
        ("ce_time", _iso(event.occurred_at).encode()),
        ("content-type", b"application/json"),
        ("tenant_id", event.tenant_id.encode()),
    ]


def fit(value: dict[str, Any], budget: int, table: str, entity_id: str) -> tuple[dict[str, Any], bytes]:
    """Cut the largest fields of the row images until the serialized value fits `budget` bytes.

    Strings keep a preview of PREVIEW_CHARS characters; objects and arrays become null. Returns the (possibly new)
    value and its bytes; raises EventTooLarge when nothing more can be cut.
    """
    data = _dumps(value)
    if len(data) <= budget:
        return value, data
    images = {side: dict(value[side]) for side in ("before", "after") if isinstance(value.get(side), dict)}
    sizes = sorted(((len(_dumps(v)), side, name) for side, image in images.items() for name, v in image.items()),
                   reverse=True)
    cuts: list[dict[str, Any]] = []
    out = {**value, **images}
    for size, side, name in sizes:
        if size <= PREVIEW_CHARS + 2:
            break
        original = images[side][name]
        raw = original.encode() if isinstance(original, str) else _dumps(original)
        images[side][name] = original[:PREVIEW_CHARS] if isinstance(original, str) else None
        cuts.append({"image": side, "field": name, "original_bytes": len(raw),
                     "sha256": hashlib.sha256(raw).hexdigest(),
                     "fetch": f"SELECT {name} FROM {table} WHERE id = '{entity_id}'"})
        out = {**value, **images, "truncated_fields": cuts}
        data = _dumps(out)
        if len(data) <= budget:
            return out, data
    raise EventTooLarge(f"the event is {len(data)} bytes after cutting {len(cuts)} fields; the limit is {budget}")


def to_records(event: EventImage, topic_prefix: str = "glyphfoundry",
               max_bytes: int = DEFAULT_MAX_BYTES) -> list[KafkaRecord]:
    """The record(s) for one outbox event, each at most `max_bytes`: the change, plus a tombstone after a delete."""
    topic = topic_names(topic_prefix)[event.entity_type]
    key = record_key(event.tenant_id, event.entity_id)
    head = headers(event)
    budget = max_bytes - len(key) - sum(len(k) + len(v) for k, v in head)
    _, data = fit(envelope(event), budget, TABLES[event.entity_type], event.entity_id)
    records = [KafkaRecord(topic, key, data, head)]
    if event.op == "d":
        records.append(KafkaRecord(topic, key, None, [("ce_id", event.event_id.encode()),
                                                      ("tenant_id", event.tenant_id.encode())]))
    return records


def dead_letter(event: EventImage, reason: str, topic: str) -> KafkaRecord:
    """A small reference record for the dead-letter topic: which event died and why (the event stays in the outbox)."""
    value = {"event_id": event.event_id, "tenant_id": event.tenant_id, "sequence": event.seq,
             "entity": {"type": event.entity_type, "id": event.entity_id}, "op": event.op, "reason": reason[:1000]}
    return KafkaRecord(topic, record_key(event.tenant_id, event.entity_id), _dumps(value),
                       [("ce_id", event.event_id.encode()), ("tenant_id", event.tenant_id.encode())])


@dataclass(frozen=True)
class TopicSpec:
    """A topic the pipeline creates itself (production clusters often disable auto-creation)."""

    name: str
    partitions: int
    replication: int
    configs: dict[str, str]


def topic_specs(prefix: str, partitions: int, replication: int, max_message_bytes: int,
                dead_letter_topic: str | None = None) -> list[TopicSpec]:
    """Change topics are compacted (deletes are followed by tombstones, so a consumer starting late still gets the
    last state of every live entity) and accept records up to the producer's limit; the dead-letter topic keeps
    references for 30 days."""
    change = {"cleanup.policy": "compact", "max.message.bytes": str(max_message_bytes)}
    specs = [TopicSpec(name, partitions, replication, dict(change)) for name in topic_names(prefix).values()]
    if dead_letter_topic:
        specs.append(TopicSpec(dead_letter_topic, 1, replication,
                               {"cleanup.policy": "delete", "retention.ms": str(30 * 24 * 3600 * 1000)}))
    return specs
