import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema

from glyph_core.events import OutboxEvent, event_type, record_key, to_records

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "change-event.schema.json").read_text())
T = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TENANT = "11111111-1111-1111-1111-111111111111"
NODE = "22222222-2222-2222-2222-222222222222"


def _event(op: str) -> OutboxEvent:
    before = None if op == "c" else {"id": NODE, "name": "old"}
    after = None if op == "d" else {"id": NODE, "name": "new"}
    return OutboxEvent(7, "33333333-3333-3333-3333-333333333333", TENANT, "node", NODE, op, before, after, 991, T)


def test_upsert_record_carries_cloudevents_headers_and_a_valid_value() -> None:
    (rec,) = to_records(_event("c"))
    headers = dict(rec.headers)
    assert rec.topic == "glyphfoundry.nodes"
    assert rec.key == record_key(TENANT, NODE) == f"{TENANT}:{NODE}".encode()
    assert headers["ce_id"] == b"33333333-3333-3333-3333-333333333333"
    assert headers["ce_type"] == b"glyphfoundry.node.upserted.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_time"] == b"2026-11-25T12:00:00Z"
    assert headers["ce_subject"] == f"node/{NODE}".encode()
    assert headers["tenant_id"] == TENANT.encode()
    value = json.loads(rec.value or b"")
    jsonschema.validate(value, SCHEMA)
    assert value["op"] == "c" and value["before"] is None and value["source"]["txId"] == 991


def test_delete_is_followed_by_a_tombstone_with_the_same_key() -> None:
    change, tombstone = to_records(_event("d"))
    jsonschema.validate(json.loads(change.value or b""), SCHEMA)
    assert tombstone.value is None and tombstone.key == change.key and tombstone.topic == change.topic


def test_event_types_are_versioned() -> None:
    assert event_type("edge", "u") == "glyphfoundry.edge.upserted.v1"
    assert event_type("glyph", "d") == "glyphfoundry.glyph.deleted.v1"
