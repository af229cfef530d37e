"""The entity layer on the real services: extraction quality on the gold set, the graph's shape, and its
incremental behaviour (no-change, edit, delete) with the change events that follow."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from assets.partitions import TENANTS_TAG
from glyph_core.quality import score_concepts, score_entities
from glyph_io.graph_store import GraphStore
from glyph_tools.runner import ensure_tenant_partitions, run_job
from tests.helpers import create_tenant, delete_tenant, in_tenant, upload

ROOT = Path(__file__).resolve().parents[2]
GOLD = json.loads((ROOT / "tests" / "fixtures" / "gold_entities.json").read_text())["documents"]

DOCS = {
    "archives.md": "# Archives\n\nThe TarFile class reads tar archives; every member is a TarInfo object. "
                   "Guido van Rossum reviewed the TarFile design at CWI in Amsterdam.",
    "members.md": "# Members\n\nA TarInfo object describes one member of a TarFile archive: its name, size and "
                  "modification time.",
    "zips.md": "# Zips\n\nZipFile reads zip archives. ZipInfo objects describe their members.",
}


def ingest(instance: dg.DagsterInstance, slug: str) -> dict[str, dict[str, Any]]:
    result = run_job("tenant_ingest", partition_key=slug, instance=instance, log=lambda _: None)
    assert result.ok
    return result.metadata


def layer(tenant_id: str) -> set[tuple[str, str, str, float]]:
    """(source key, target key, edge type, weight) of every entity-layer edge."""
    return set(in_tenant(tenant_id, "SELECT a.external_key, b.external_key, e.edge_type::text, e.weight "
                                    "FROM edges_v2 e JOIN nodes_v2 a ON a.id = e.src_id JOIN nodes_v2 b ON b.id = e.dst_id "
                                    "WHERE e.edge_type IN ('references', 'relates_to')"))


def events(tenant_id: str, after: int) -> list[tuple[str, str, str | None]]:
    return in_tenant(tenant_id, "SELECT entity_type, op, coalesce(after, before) ->> 'external_key' "
                                "FROM change_outbox WHERE seq > %s ORDER BY seq", (after,))


def last_seq(tenant_id: str) -> int:
    return int(in_tenant(tenant_id, "SELECT coalesce(max(seq), 0) FROM change_outbox")[0][0])


@pytest.fixture(scope="module")
def gold_tenant(resources: dict[str, Any]) -> Any:
    """The gold-set documents of the sample corpus in one fresh tenant, ingested once."""
    tenant_id, slug = create_tenant("gold")
    upload(resources, slug, {d["key"].replace("/", "_"): (ROOT / "samples" / "corpus" / d["key"]).read_bytes()
                             for d in GOLD})
    with dg.instance_for_test() as instance:
        ensure_tenant_partitions(instance, [slug])
        meta = ingest(instance, slug)
    yield tenant_id, slug, meta
    delete_tenant(resources, tenant_id, slug)


def test_extraction_quality_on_the_gold_set(gold_tenant: Any, resources: dict[str, Any]) -> None:
    tenant_id, slug, _ = gold_tenant
    store: GraphStore = resources["graph_store"]
    rename = {f"{slug}/{d['key'].replace('/', '_')}": d["key"] for d in GOLD}
    entities = {rename[k]: v for k, v in store.knowledge.document_entities(tenant_id).items()}
    concepts = {rename[k]: v for k, v in store.knowledge.document_concepts(tenant_id).items()}
    found = score_entities(GOLD, entities)
    lenient = score_concepts(GOLD, concepts, lenient=True)
    # floors about 0.05 under what README reports (measured on this same set): a regression fails here
    assert found.precision >= 0.60 and found.recall >= 0.57 and found.f1 >= 0.58, found.line()
    assert found.typed_accuracy is not None and found.typed_accuracy >= 0.80, found.line()
    assert lenient.f1 >= 0.40, lenient.line()


def test_entities_are_embedded_typed_nodes_every_stage_sees(gold_tenant: Any) -> None:
    tenant_id, _, meta = gold_tenant
    kinds = dict(in_tenant(tenant_id, "SELECT kind::text, count(*) FROM nodes_v2 WHERE kind IN ('entity', 'concept') "
                                      "AND embedding_384 IS NOT NULL GROUP BY kind"))
    assert kinds.get("entity", 0) >= 20 and kinds.get("concept", 0) >= 20
    assert meta["entity_graph"]["relates_to"] >= 10
    types = {r[0] for r in in_tenant(tenant_id, "SELECT DISTINCT metadata->>'entity_type' FROM nodes_v2 "
                                                "WHERE kind = 'entity'")}
    assert {"product", "person", "organization"} <= types
    # vector search (the app's own query, RLS only) finds an entity by its name-in-context vector
    hit = in_tenant(tenant_id, "WITH q AS (SELECT embedding_384 AS v FROM nodes_v2 WHERE external_key = "
                               "'entity:cpython') SELECT n.external_key FROM nodes_v2 n, q "
                               "WHERE n.embedding_384 IS NOT NULL ORDER BY n.embedding_384 <=> q.v LIMIT 1")
    assert hit == [("entity:cpython",)]


def test_two_documents_mentioning_an_entity_are_connected_through_it(gold_tenant: Any) -> None:
    tenant_id, _, _ = gold_tenant
    # document -> chunk -> entity <- chunk <- document, over the edges the app traverses
    shared = in_tenant(tenant_id, """
        SELECT x.external_key, count(DISTINCT d.id)
        FROM nodes_v2 x
        JOIN edges_v2 r ON r.dst_id = x.id AND r.edge_type = 'references'
        JOIN nodes_v2 c ON c.id = r.src_id AND c.kind = 'chunk'
        JOIN edges_v2 h ON h.dst_id = c.id AND h.edge_type = 'contains'
        JOIN nodes_v2 d ON d.id = h.src_id AND d.kind = 'document'
        WHERE x.kind = 'entity'
        GROUP BY x.external_key HAVING count(DISTINCT d.id) >= 2""")
    by_key = dict(shared)
    assert len(by_key) >= 10
    assert by_key.get("entity:cpython", 0) >= 10  # the licence line of most reference pages
    stored = dict(in_tenant(tenant_id, "SELECT external_key, (metadata->>'documents')::int FROM nodes_v2 "
                                       "WHERE external_key = ANY(%s)", (list(by_key),)))
    assert stored == by_key  # the node's own document count agrees with its edges


def test_the_glyph_stage_places_entities_and_pictures_the_tenant(gold_tenant: Any) -> None:
    tenant_id, slug, _ = gold_tenant
    today = datetime.now(timezone.utc).date().isoformat()
    with dg.instance_for_test() as instance:
        result = run_job("glyph_days", partition_key=today, tags={TENANTS_TAG: slug}, instance=instance,
                         log=lambda _: None)
    assert result.ok
    meta = result.metadata["glyph_projections"]
    match = re.fullmatch(r"!\[[^]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", str(meta[f"picture {slug}"]))
    assert match is not None
    png = base64.b64decode(match.group(1))
    assert png.startswith(b"\x89PNG") and 5_000 < len(png) < 200_000
    placed = in_tenant(tenant_id, "SELECT count(*) FROM glyphs_4d g JOIN nodes_v2 n ON n.id = g.related_node_id "
                                  "WHERE n.kind = 'entity' AND g.t = %s::date", (today,))
    assert placed[0][0] >= 20


@pytest.fixture(scope="module")
def small(resources: dict[str, Any]) -> Any:
    tenant_id, slug = create_tenant("entities")
    upload(resources, slug, DOCS)
    with dg.instance_for_test() as instance:
        ensure_tenant_partitions(instance, [slug])
        yield tenant_id, slug, instance, ingest(instance, slug)
    delete_tenant(resources, tenant_id, slug)


def test_small_tenant_layer(small: Any) -> None:
    tenant_id, slug, _, meta = small
    edges = layer(tenant_id)
    assert (f"chunk:{slug}/archives.md#0", "entity:tarfile", "references", 2.0) in edges
    assert ("entity:tarfile", "entity:tarinfo", "relates_to") in {e[:3] for e in edges}
    people = in_tenant(tenant_id, "SELECT name, metadata->>'entity_type' FROM nodes_v2 WHERE kind = 'entity' "
                                  "AND external_key = 'entity:guido-van-rossum'")
    assert people == [("Guido van Rossum", "person")]
    assert meta["entity_graph"]["entities"] >= 5


def test_no_change_rerun_writes_and_emits_nothing(small: Any) -> None:
    tenant_id, slug, instance, _ = small
    before = last_seq(tenant_id)
    meta = ingest(instance, slug)
    assert meta["entity_graph"]["unchanged"] is True
    assert last_seq(tenant_id) == before


def test_an_edit_updates_counts_and_a_delete_removes_what_nothing_mentions(small: Any,
                                                                          resources: dict[str, Any]) -> None:
    tenant_id, slug, instance, _ = small
    mentions = "SELECT (metadata->>'mentions')::int FROM nodes_v2 WHERE external_key = 'entity:tarinfo'"
    assert in_tenant(tenant_id, mentions) == [(2,)]
    before = last_seq(tenant_id)
    upload(resources, slug, {"members.md": "# Members\n\nA member of an archive has a name, a size and a time."})
    meta = ingest(instance, slug)
    assert meta["embeddings"]["encoded"] == 1
    assert in_tenant(tenant_id, mentions) == [(1,)]
    changed = {key for kind, _, key in events(tenant_id, before) if kind == "node"}
    assert "entity:tarinfo" in changed and "entity:zipfile" not in changed

    before = last_seq(tenant_id)
    resources["object_store"].remove(f"{slug}/archives.md")
    ingest(instance, slug)
    left = {r[0] for r in in_tenant(tenant_id, "SELECT external_key FROM nodes_v2 WHERE kind = 'entity'")}
    assert "entity:guido-van-rossum" not in left and "entity:tarinfo" not in left and "entity:zipfile" in left
    deleted = {key for kind, op, key in events(tenant_id, before) if kind == "node" and op == "d"}
    assert {"entity:guido-van-rossum", "entity:tarinfo"} <= deleted
    dangling = in_tenant(tenant_id, "SELECT count(*) FROM edges_v2 e JOIN nodes_v2 n ON n.id IN (e.src_id, e.dst_id) "
                                    "WHERE n.deleted_at IS NOT NULL")
    assert dangling == [(0,)]


def test_the_same_input_gives_the_same_layer(small: Any, resources: dict[str, Any]) -> None:
    tenant_id, slug, instance, _ = small
    twin_id, twin = create_tenant("entities-twin")
    try:
        current = {k: v for k, v in DOCS.items() if k != "archives.md"}
        current["members.md"] = "# Members\n\nA member of an archive has a name, a size and a time."
        upload(resources, twin, current)
        ensure_tenant_partitions(instance, [twin])
        ingest(instance, twin)
        strip = lambda edges, s: {(a.replace(s, ""), b.replace(s, ""), t, w) for a, b, t, w in edges}  # noqa: E731
        assert strip(layer(twin_id), twin) == strip(layer(tenant_id), slug)
    finally:
        delete_tenant(resources, twin_id, twin)
