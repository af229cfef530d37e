"""The change stream keeps flowing whatever a document contains (issue: change events that never stall).

One tenant gets documents at real sizes (an 11 MB text, a 2 MB JSON string, a 1 MiB run without spaces inside
prose, random bytes named .txt/.md) beside a clean tenant, in one run: every event of both is delivered and no
record on the wire exceeds the limit. Poison events (rejected for good by the client) are dead with their reason,
later events keep flowing, and `glyph outbox retry` re-drives them. Topics are created before the first event.
The big documents repeat a few paragraphs, so their thousands of chunks cost a handful of encodes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import uuid
from typing import Any

import pytest

from glyph_io.event_bus import EventBus
from glyph_io.publisher import publish
from glyph_io.settings import settings
from tests.faults.conftest import GLYPH, ROOT, put_objects, rows, run, tenant_conn
from tests.helpers import consume_all, header

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(900)]

PARAGRAPH = ("Tenant isolation keeps every row of one customer away from every other customer. The pipeline writes "
             "nodes and edges under row level security, and each change leaves through the outbox as an event. ") * 6
TOPICS = ["glyphfoundry.nodes", "glyphfoundry.edges", "glyphfoundry.glyphs"]


def _repeat(size: int) -> str:
    return (PARAGRAPH.strip() + "\n\n") * (size // (len(PARAGRAPH) + 2) + 1)


def _hostile_documents() -> dict[str, bytes]:
    r = random.Random(11)
    prose = _repeat(200_000)
    return {
        "big/huge.txt": _repeat(11 * 2**20).encode(),  # 11 MB raw, 2,000,000 characters extracted
        "big/blob.json": json.dumps({"title": "blob", "body": _repeat(2 * 2**20)}).encode(),  # one 2 MB string
        "big/run.txt": (prose + os.urandom(2**19).hex() + " " + prose).encode(),  # a 1 MiB run inside prose
        "junk/random.txt": bytes(r.randrange(32, 127) for _ in range(60_000)),  # printable noise, no words
        "junk/random.md": "".join(chr(r.randrange(0x20, 0x250)) for _ in range(30_000)).encode(),
        "ok/small.md": b"# Small\n\nAn ordinary note beside the big documents.\n",
    }


def _delivered(records: list[Any], tenant_id: str) -> set[str]:
    return {str(header(r, "ce_id")) for r in records if header(r, "tenant_id") == tenant_id and r.value is not None}


def test_big_documents_never_stall_anyones_events(s3_tenant: Any, dagster_instance: Any) -> None:
    big_id, big = s3_tenant("stream-big")
    clean_id, clean = s3_tenant("stream-clean")
    put_objects(big, _hostile_documents())
    put_objects(clean, {f"doc{i}.md": f"# Doc {i}\n\nA clean document about graphs, number {i}.\n".encode()
                        for i in range(3)})
    for slug in (big, clean):
        result = run("tenant_ingest", dagster_instance, partition_key=slug)
        assert result.ok, result.log

    quarantine = dict(rows(big_id, "SELECT object_key, reason_code FROM ingest_quarantine"))
    assert quarantine == {f"{big}/junk/random.txt": "not_text", f"{big}/junk/random.md": "not_text"}, quarantine
    cut = rows(big_id, "SELECT count(*), max(length(chunk_text)) FROM file_chunks "
                       "WHERE (chunk_metadata->>'cut_chars')::int > 0")[0]
    assert cut[0] == 1 and cut[1] <= 4096, cut  # the 1 MiB run: one chunk, cut, the cut recorded
    assert rows(big_id, "SELECT max(length(extracted_text)) FROM files")[0][0] > 1_000_000

    records = consume_all(TOPICS, max_seconds=240)
    limit = settings().event_max_bytes
    ours = [r for r in records if header(r, "tenant_id") in (big_id, clean_id)]
    largest = max(len(r.key or b"") + len(r.value or b"") + sum(len(k) + len(v) for k, v in r.headers) for r in ours)
    assert largest <= limit, f"a record of {largest} bytes is on the wire (limit {limit})"
    for tenant_id in (big_id, clean_id):
        outbox = {r[0] for r in rows(tenant_id, "SELECT event_id::text FROM change_outbox")}
        assert outbox and _delivered(records, tenant_id) == outbox
        assert rows(tenant_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0
    print(f"\nbig tenant: {len(_delivered(records, big_id))} events, largest record {largest} bytes")


def _poison_bus(max_request_size: int) -> EventBus:
    """The configured bus with a producer limit below some records: the client rejects those for good, as a
    broker with a smaller message.max.bytes would (the Settings validation forbids this mismatch in production)."""
    s = settings()
    return EventBus(bootstrap_servers=s.need("kafka_bootstrap"), topic_prefix=s.kafka_topic_prefix,
                    event_max_bytes=s.event_max_bytes, max_request_size=max_request_size)


def _make_events(tenant_id: str, n: int, content_bytes: int) -> list[str]:
    """n nodes whose events carry `content_bytes` of content, chained by edges (small events); returns node ids."""
    with tenant_conn(tenant_id) as conn:
        ids = [str(r[0]) for r in conn.execute(
            "INSERT INTO nodes_v2 (tenant_id, kind, name, content, external_key) "
            "SELECT %s, 'concept', 'node ' || g, repeat('c', %s), 'test:poison:' || g || ':' || %s "
            "FROM generate_series(1, %s) g RETURNING id", (tenant_id, content_bytes, str(uuid.uuid4()), n))]
        for src, dst in zip(ids, ids[1:]):
            conn.execute("INSERT INTO edges_v2 (tenant_id, src_id, dst_id, edge_type) VALUES (%s, %s, %s, 'relates_to')",
                         (tenant_id, src, dst))
    return ids


def test_poison_events_are_dead_later_events_flow_and_retry_redrives_them(s3_tenant: Any) -> None:
    poisoned_id, poisoned = s3_tenant("poison")
    clean_id, _ = s3_tenant("poison-clean")
    node_ids = _make_events(poisoned_id, 5, 8000)  # node events ~8 KB: over the 4 KiB producer limit below
    _make_events(clean_id, 3, 10)
    graph = _graph_store()
    report = publish(graph.outbox, _poison_bus(4096), tenant_ids=[poisoned_id, clean_id])
    assert report.broker_error is None and not report.failed_tenants
    dead = rows(poisoned_id, "SELECT entity_id::text, dead_reason FROM change_outbox WHERE dead_at IS NOT NULL")
    assert {d[0] for d in dead} == set(node_ids) and all("MessageSizeTooLargeError" in d[1] for d in dead)
    # the edges of the same tenant (small events, later sequence numbers) and the other tenant all went out
    assert rows(poisoned_id, "SELECT count(*) FROM change_outbox WHERE entity_type = 'edge' "
                             "AND published_at IS NOT NULL")[0][0] == 4
    assert rows(clean_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0
    assert report.tenants[poisoned_id].dead == 5

    status = _glyph("outbox", "status", "--tenant", poisoned)
    assert status.returncode == 1 and f"{poisoned}" in status.stdout and "MessageSizeTooLarge" in status.stdout
    # a newer state of one entity supersedes its dead event: never sent after the newer one (per-entity order)
    with tenant_conn(poisoned_id) as conn:
        conn.execute("UPDATE nodes_v2 SET content = 'short now', name = 'renamed' WHERE id = %s", (node_ids[0],))
    retried = _glyph("outbox", "retry", "--tenant", poisoned)
    assert retried.returncode == 0 and "4 dead events pending again, 1 superseded" in retried.stdout, retried.stdout
    again = publish(graph.outbox, _poison_bus(settings().max_request_size), tenant_ids=[poisoned_id])
    assert again.published == 5 and again.dead == 0  # 4 re-driven + the newer update
    assert rows(poisoned_id, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0
    assert _glyph("outbox", "status", "--tenant", poisoned).returncode == 0
    graph.close()


def test_topics_are_created_with_the_configured_settings_before_the_first_event() -> None:
    from kafka.admin import KafkaAdminClient

    prefix = f"gftest{uuid.uuid4().hex[:8]}"
    s = settings()
    bus = EventBus(bootstrap_servers=s.need("kafka_bootstrap"), topic_prefix=prefix, topic_partitions=4,
                   dead_letter_topic=f"{prefix}.dead")
    created = bus.ensure_topics()
    assert sorted(created) == sorted([f"{prefix}.nodes", f"{prefix}.edges", f"{prefix}.glyphs", f"{prefix}.dead"])
    admin = KafkaAdminClient(bootstrap_servers=s.need("kafka_bootstrap"))
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(created)}
    finally:
        admin.close()
    assert described[f"{prefix}.nodes"] == 4 and described[f"{prefix}.dead"] == 1
    again = EventBus(bootstrap_servers=s.need("kafka_bootstrap"), topic_prefix=prefix, topic_partitions=4)
    assert again.ensure_topics() == []  # idempotent


def test_retention_prunes_published_events_and_old_audit_rows_but_keeps_pending_and_dead(s3_tenant: Any,
                                                                                          dagster_instance: Any) -> None:
    import psycopg

    tenant_id, _ = s3_tenant("retain")
    _make_events(tenant_id, 4, 10)
    with tenant_conn(tenant_id) as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM change_outbox ORDER BY seq")]
        conn.execute("UPDATE change_outbox SET published_at = now() - interval '30 days' WHERE seq = ANY(%s)",
                     (seqs[:3],))
        conn.execute("UPDATE change_outbox SET dead_at = now() - interval '30 days', dead_reason = 'x' "
                     "WHERE seq = %s", (seqs[3],))
    from urllib.parse import urlsplit, urlunsplit

    main_db = urlsplit(settings().need("database_url")).path
    superuser = urlunsplit(urlsplit(os.environ["GLYPH_SUPERUSER_DATABASE_URL"])._replace(path=main_db))
    with psycopg.connect(superuser, autocommit=True) as su:  # backdating audit rows needs more than glyph_app
        su.execute("UPDATE audit_log SET at = now() - interval '400 days' WHERE tenant_id = %s", (tenant_id,))
    audit_before = rows(tenant_id, "SELECT count(*) FROM audit_log")[0][0]
    result = run("retention", dagster_instance)
    assert result.ok, result.log
    left = [r[0] for r in rows(tenant_id, "SELECT seq FROM change_outbox ORDER BY seq")]
    assert left == seqs[3:]  # the dead event and the pending ones stay, whatever their age
    assert audit_before > 0 and rows(tenant_id, "SELECT count(*) FROM audit_log")[0][0] == 0


def _graph_store() -> Any:
    from pipelines.resources import resources

    return resources(settings(), resolved=True)["graph_store"]


def _glyph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GLYPH, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
