"""With the daemon running (`glyph ui`'s), documents uploaded one after another, then a burst, each reach Kafka:
S3 notification -> object_events sensor -> queued run -> run worker -> ingest ... publish. The bench's own code
path (`glyph bench --freshness`), checked from the outside by a consumer of the nodes topic.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(420)]


def document_events_on_kafka(tenant_id: str) -> set[str]:
    """Source keys of the document nodes whose events for this tenant are on the nodes topic."""
    from kafka import KafkaConsumer, TopicPartition

    topic = f"{os.environ.get('GLYPH_KAFKA_TOPIC_PREFIX', 'glyphfoundry')}.nodes"
    consumer = KafkaConsumer(bootstrap_servers=os.environ["GLYPH_KAFKA_BOOTSTRAP"].split(","), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: set[str] = set()
        while batch := consumer.poll(timeout_ms=2000):
            for records in batch.values():
                for rec in records:
                    if rec.value is None or dict(rec.headers or []).get("tenant_id", b"").decode() != tenant_id:
                        continue
                    after = json.loads(rec.value).get("after") or {}
                    if after.get("kind") == "document":
                        found.add(after.get("source_key"))
        return found
    finally:
        consumer.close()


def test_documents_uploaded_one_after_another_each_reach_kafka(ui_server: Any) -> None:
    from glyph_tools.bench import freshness

    result = freshness.run(singles=3, burst=2, log=print)
    assert result["single"]["n"] == 3 and result["burst"]["n"] == 2
    assert set(result["documents"]) <= document_events_on_kafka(result["tenant_id"])
    print(freshness.render(result))
