import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest

from glyph_core.events import EventTooLarge, event_type, record_key, to_records, topic_specs
from glyph_core.models import EventImage

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "change-event.schema.json").read_text())
T = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
TENANT = "11111111-1111-1111-1111-111111111111"
NODE = "22222222-2222-2222-2222-222222222222"
LIMIT = 256 * 1024


def _event(op: str, **after_fields: object) -> EventImage:
    before = None if op == "c" else {"id": NODE, "name": "old"}
    after = None if op == "d" else {"id": NODE, "name": "new", **after_fields}
    return EventImage(7, "33333333-3333-3333-3333-333333333333", TENANT, "node", NODE, op, before, after, 991, T)


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
    assert "truncated_fields" not in value


def test_delete_is_followed_by_a_tombstone_with_the_same_key() -> None:
    change, tombstone = to_records(_event("d"))
    jsonschema.validate(json.loads(change.value or b""), SCHEMA)
    assert tombstone.value is None and tombstone.key == change.key and tombstone.topic == change.topic


def test_event_types_are_versioned() -> None:
    assert event_type("edge", "u") == "glyphfoundry.edge.upserted.v1"
    assert event_type("glyph", "d") == "glyphfoundry.glyph.deleted.v1"


@pytest.mark.parametrize("content", ["x" * 3_000_000, "é" * 700_000, " ".join(["word"] * 400_000)])
def test_a_record_never_exceeds_the_limit_and_says_what_was_cut(content: str) -> None:
    import hashlib

    (rec,) = to_records(_event("u", content=content, metadata={"blob": "y" * 500_000}), max_bytes=LIMIT)
    assert rec.size <= LIMIT
    value = json.loads(rec.value or b"")
    jsonschema.validate(value, SCHEMA)
    cuts = {c["field"]: c for c in value["truncated_fields"]}
    assert cuts["content"]["original_bytes"] == len(content.encode())
    assert cuts["content"]["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    assert cuts["content"]["fetch"] == f"SELECT content FROM nodes_v2 WHERE id = '{NODE}'"
    assert value["after"]["content"] == content[:256]  # a preview keeps the field's type
    assert value["after"]["name"] == "new"  # small fields are untouched


def test_only_what_is_needed_is_cut_largest_first() -> None:
    (rec,) = to_records(_event("u", content="c" * 300_000, summary="s" * 20_000), max_bytes=LIMIT)
    value = json.loads(rec.value or b"")
    assert [c["field"] for c in value["truncated_fields"]] == ["content"]
    assert value["after"]["summary"] == "s" * 20_000


def test_an_event_that_cannot_fit_is_refused() -> None:
    many = {f"field_{i}": "v" * 200 for i in range(2000)}  # 2,000 small fields: nothing large enough to cut
    with pytest.raises(EventTooLarge, match="the limit is"):
        to_records(_event("u", **many), max_bytes=64 * 1024)


def test_change_topics_are_compacted_and_accept_the_producers_limit() -> None:
    specs = {s.name: s for s in topic_specs("gf", 6, 3, 320 * 1024, dead_letter_topic="gf.dead")}
    assert set(specs) == {"gf.nodes", "gf.edges", "gf.glyphs", "gf.dead"}
    assert specs["gf.nodes"].configs == {"cleanup.policy": "compact", "max.message.bytes": str(320 * 1024)}
    assert (specs["gf.edges"].partitions, specs["gf.edges"].replication) == (6, 3)
    assert specs["gf.dead"].configs["cleanup.policy"] == "delete"
