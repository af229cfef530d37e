"""End to end for two tenants on the real services: S3 -> graph -> glyphs -> Kafka, then edit, delete, re-run."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import jsonschema
import pytest

from assets.partitions import TENANTS_TAG
from glyph_tools.runner import ensure_tenant_partitions, run_job
from tests.helpers import (
    consume_all,
    create_tenant,
    delete_tenant,
    event_value,
    header,
    in_tenant,
    upload,
)

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "change-event.schema.json").read_text())
TODAY = datetime.now(timezone.utc).date().isoformat()

DOCS_A = {
    "guides/alpha.md": "---\ntitle: Alpha guide\ntags: [onboarding]\n---\n# Alpha\n\nPostgreSQL row level security keeps tenants apart. Policies compare the tenant id with a session setting.",
    "guides/beta.txt": "Vector search with HNSW indexes finds nearest neighbours quickly. Cosine distance compares normalized embeddings.",
    "notes/gamma.html": "<html><head><title>Gamma</title><script>alert(1)</script></head><body><h1>Gamma</h1><p>Kafka topics carry change events keyed by entity.</p></body></html>",
}
DOCS_B = {
    "reports/delta.json": json.dumps({"title": "Delta", "tags": ["finance"], "body": "Quarterly revenue grew in every region."}),
    "reports/epsilon.md": "# Epsilon\n\nThe warehouse ships orders within two days of payment.",
}


class Scenario:
    def __init__(self, resources: dict[str, Any], instance: dg.DagsterInstance) -> None:
        self.resources, self.instance = resources, instance
        self.a_id, self.a = create_tenant("e2e-a")
        self.b_id, self.b = create_tenant("e2e-b")
        ensure_tenant_partitions(instance, [self.a, self.b])

    def ingest(self, slug: str) -> dict[str, dict[str, Any]]:
        result = run_job("tenant_ingest", partition_key=slug, instance=self.instance, log=lambda _: None)
        assert result.ok, f"tenant_ingest[{slug}] failed"
        return result.metadata

    def glyphs(self) -> dict[str, dict[str, Any]]:
        result = run_job("glyph_days", partition_key=TODAY, tags={TENANTS_TAG: f"{self.a},{self.b}"},
                         instance=self.instance, log=lambda _: None)
        assert result.ok
        return result.metadata

    def publish(self) -> dict[str, dict[str, Any]]:
        result = run_job("publish_events", instance=self.instance, log=lambda _: None)
        assert result.ok
        return result.metadata

    def outbox(self, tenant_id: str) -> int:
        return int(in_tenant(tenant_id, "SELECT count(*) FROM change_outbox")[0][0])


@pytest.fixture(scope="module")
def scenario(resources: dict[str, Any]) -> Any:
    with dg.instance_for_test() as instance:
        s = Scenario(resources, instance)
        upload(resources, s.a, DOCS_A)
        upload(resources, s.b, DOCS_B)
        s.first_a = s.ingest(s.a)
        s.first_b = s.ingest(s.b)
        s.first_glyphs = s.glyphs()
        s.first_publish = s.publish()
        yield s
        delete_tenant(resources, s.a_id, s.a)
        delete_tenant(resources, s.b_id, s.b)


def test_counts_match_the_input(scenario: Scenario) -> None:
    for tid, docs in ((scenario.a_id, DOCS_A), (scenario.b_id, DOCS_B)):
        files = in_tenant(tid, "SELECT count(*) FROM files WHERE processing_status = 'completed'")[0][0]
        doc_nodes = in_tenant(tid, "SELECT count(*) FROM nodes_v2 WHERE kind = 'document' AND deleted_at IS NULL")[0][0]
        chunks = in_tenant(tid, "SELECT count(*) FROM file_chunks")[0][0]
        chunk_nodes = in_tenant(tid, "SELECT count(*) FROM nodes_v2 WHERE kind = 'chunk' AND embedding_384 IS NOT NULL")[0][0]
        contains = in_tenant(tid, "SELECT count(*) FROM edges_v2 WHERE edge_type = 'contains'")[0][0]
        glyphs = in_tenant(tid, "SELECT count(*) FROM glyphs_4d WHERE t = %s::date", (TODAY,))[0][0]
        embedded = in_tenant(tid, "SELECT count(*) FROM nodes_v2 WHERE embedding_384 IS NOT NULL AND deleted_at IS NULL")[0][0]
        assert files == doc_nodes == len(docs)
        assert chunks == chunk_nodes == contains >= len(docs)
        assert glyphs == embedded > 0
    assert scenario.first_a["embeddings"]["encoded"] >= len(DOCS_A)


def test_tenant_a_objects_never_produce_tenant_b_rows(scenario: Scenario) -> None:
    a_keys = {f"{scenario.a}/{k}" for k in DOCS_A}
    b_sources = {r[0] for r in in_tenant(scenario.b_id, "SELECT source_key FROM nodes_v2 WHERE source_key IS NOT NULL")}
    assert b_sources and not (b_sources & a_keys)
    assert all(s.startswith(f"{scenario.b}/") for s in b_sources)
    # and tenant B's context sees none of A's rows at all
    assert in_tenant(scenario.b_id, "SELECT count(*) FROM nodes_v2 WHERE tenant_id = %s", (scenario.a_id,))[0][0] == 0


def test_events_reach_kafka_in_the_documented_schema(scenario: Scenario) -> None:
    records = consume_all(["glyphfoundry.nodes", "glyphfoundry.edges", "glyphfoundry.glyphs"])
    ours = [r for r in records if header(r, "tenant_id") in (scenario.a_id, scenario.b_id)]
    values = [event_value(r) for r in ours if r.value is not None]
    assert values, "no events for the test tenants on Kafka"
    for record, value in zip([r for r in ours if r.value is not None], values):
        jsonschema.validate(value, SCHEMA)
        assert header(record, "ce_id") == value["event_id"]
        assert header(record, "ce_type") == value["type"]
        assert header(record, "ce_specversion") == "1.0"
        assert record.key.decode() == f"{value['tenant_id']}:{value['entity']['id']}"
    for tid in (scenario.a_id, scenario.b_id):
        ids = {v["event_id"] for v in values if v["tenant_id"] == tid}
        assert len(ids) == scenario.outbox(tid)
        assert in_tenant(tid, "SELECT count(*) FROM change_outbox WHERE published_at IS NULL")[0][0] == 0


def test_rerun_with_the_same_input_changes_nothing(scenario: Scenario) -> None:
    before = scenario.outbox(scenario.a_id), scenario.outbox(scenario.b_id)
    meta = scenario.ingest(scenario.a)
    scenario.ingest(scenario.b)
    scenario.glyphs()
    assert meta["source_documents"]["objects_new_or_changed"] == 0
    assert meta["embeddings"]["encoded"] == 0
    assert meta["knowledge_graph"]["documents_written"] == 0
    assert (scenario.outbox(scenario.a_id), scenario.outbox(scenario.b_id)) == before


def test_changing_one_document_reembeds_only_its_chunks(scenario: Scenario) -> None:
    before_b = scenario.outbox(scenario.b_id)
    seq_before = in_tenant(scenario.a_id, "SELECT coalesce(max(seq), 0) FROM change_outbox")[0][0]
    upload(scenario.resources, scenario.a, {"guides/beta.txt": "Completely new text about glyph projections in four dimensions."})
    meta = scenario.ingest(scenario.a)
    assert meta["source_documents"]["objects_new_or_changed"] == 1
    assert meta["embeddings"]["encoded"] == 1
    assert meta["knowledge_graph"]["documents_written"] == 1
    changed = in_tenant(scenario.a_id, "SELECT DISTINCT coalesce(after->>'source_key', before->>'source_key') FROM change_outbox "
                                       "WHERE seq > %s AND entity_type = 'node'", (seq_before,))
    assert {r[0] for r in changed} <= {f"{scenario.a}/guides/beta.txt", None}
    assert scenario.outbox(scenario.b_id) == before_b


def test_deleting_one_document_propagates(scenario: Scenario) -> None:
    key = f"{scenario.a}/notes/gamma.html"
    scenario.resources["object_store"].remove(key)
    ingested = scenario.ingest(scenario.a)
    live = in_tenant(scenario.a_id, "SELECT count(*) FROM nodes_v2 WHERE source_key = %s AND deleted_at IS NULL", (key,))[0][0]
    edges = in_tenant(scenario.a_id, "SELECT count(*) FROM edges_v2 e JOIN nodes_v2 n ON n.id IN (e.src_id, e.dst_id) "
                                     "WHERE n.source_key = %s", (key,))[0][0]
    assert live == 0 and edges == 0
    assert in_tenant(scenario.a_id, "SELECT deleted_at IS NOT NULL FROM files WHERE storage_path = %s", (key,))[0][0]
    published = scenario.publish()  # the ingest run published its tenant's events (tenant_events) already
    assert ingested["tenant_events"]["tombstones"] + published["change_events"]["tombstones"] >= 1
