"""entity_graph: the entities and concepts the tenant's documents talk about, as nodes and edges of its graph.

The mentions were found by the encoder workers in the embeddings stage (the vectors of a name in context exist
only inside that forward pass); this stage only aggregates them (glyph_core/knowledge.py, polars) and writes the
difference. It rebuilds the whole entity layer of the tenant because co-occurrence significance is a property of
all its chunks, but it writes only what changed, and does nothing at all while the live chunks are the ones it was
last built from (one fingerprint query): a no-change re-run writes nothing and emits nothing.
"""

import dagster as dg

from assets.partitions import tenant_partitions
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.knowledge import KNOWLEDGE_VERSION, build, node_rows
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed


@dg.asset(partitions_def=tenant_partitions, deps=["knowledge_graph"], retry_policy=TRANSIENT_RETRY, group_name="graph",
          kinds={"polars", "postgres"}, tags={"glyph/stage": "entities"})
@retry_transient
def entity_graph(context: dg.AssetExecutionContext, graph_store: GraphStore, embedder: Embedder) -> Materialized:
    """Entity and concept nodes with `references` (chunk/document -> them) and `relates_to` (co-occurrence) edges."""
    extractor = embedder.extractor_key
    with timed() as clock:
        tenant = graph_store.tenants.by_slug(context.partition_key)
        if extractor is None:
            return dg.MaterializeResult(metadata={"tenant": tenant.slug, "skipped": "extraction is off"})
        store = graph_store.knowledge
        with graph_store.tenant_lock(tenant.id):
            current, built = store.fingerprints(tenant.id, f"{KNOWLEDGE_VERSION}/{extractor}")
            if current == built:
                return dg.MaterializeResult(metadata={"tenant": tenant.slug, "unchanged": True,
                                                      "duration_s": clock.seconds})
            knowledge = build(store.mentions(tenant.id, extractor))
            vectors = store.vectors(tenant.id, extractor, knowledge.keys())
            touched = store.write(tenant.id, embedder.model_key, node_rows(knowledge, vectors), knowledge.edges,
                                  current)
        kinds = [n.kind for n in knowledge.nodes]
        relations = [e.relation_name for e in knowledge.edges]
        top = sorted(knowledge.nodes, key=lambda n: (-n.importance, n.key))[:10]
        log_event(context, f"{kinds.count('entity')} entities, {kinds.count('concept')} concepts, "
                           f"{relations.count('co_occurs')} relates_to edges", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "tenant": tenant.slug, "entities": kinds.count("entity"), "concepts": kinds.count("concept"),
        "references": relations.count("mentions") + relations.count("key_concept"),
        "relates_to": relations.count("co_occurs"), **touched,
        "most_important": dg.MetadataValue.md("\n".join(f"- **{n.name}** ({n.type}, {n.mentions} mentions)"
                                                        for n in top)),
        "duration_s": clock.seconds})
