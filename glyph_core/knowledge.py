"""A tenant's mentions -> entity and concept nodes with `references` and `relates_to` edges (pure, polars).

Input: one row per (document, chunk, mention key) - what the encoder workers found in each live chunk
(glyph_core/mentions.py). Output: the whole entity layer of the tenant's graph, so the stage can diff it against
what is stored (unchanged rows are never rewritten). The rules, and why:

- **Concepts** are the top `TOP_CONCEPTS_PER_DOC` of each document (similarity of the phrase to its chunks, with a
  little weight for repetition); a concept nobody ranks that high never becomes a node, which keeps the long tail of
  noun phrases out of the graph. **Entities** (people, organizations, places, products...) are all kept.
- `references`: chunk -> entity/concept, weight = mentions in the chunk (relation `mentions`); document -> each of
  its top concepts, weight = the concept's score (relation `key_concept`).
- `relates_to` (relation `co_occurs`): between two entities that share at least `MIN_PAIR_CHUNKS` chunks and whose
  normalised PMI over the tenant's chunks is at least `MIN_NPMI` (0 = independent, 1 = always together); each
  entity keeps its `MAX_RELATED` strongest links. One edge per pair, from the smaller key to the larger.
- `importance`: 1 - exp(-(ln(1 + mentions) + 0.5 ln(1 + degree)) / 4), from the node's own counts only, so an edit
  elsewhere in the tenant does not rewrite every node. Weights are rounded to 2 decimals for the same reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from glyph_core.graph import KIND_STYLE, NAME_CHARS, EdgeRow, NodeRow
from glyph_core.ids import chunk_key, doc_key

TOP_CONCEPTS_PER_DOC = 5
MIN_PAIR_CHUNKS = 2
MIN_NPMI = 0.25
MAX_RELATED = 10
MAX_ALIASES = 8
KNOWLEDGE_VERSION = "knowledge-1"  # part of the stage's fingerprint: a change of the rules above rebuilds the layer
OWNED_RELATIONS = {"references": ("mentions", "key_concept"), "relates_to": ("co_occurs",)}

MENTION_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "doc": pl.String, "chunk": pl.Int64, "key": pl.String, "kind": pl.String, "type": pl.String,
    "surface": pl.String, "surfaces": pl.List(pl.String), "mentions": pl.Int64, "score": pl.Float64}


@dataclass(frozen=True)
class KnowledgeNode:
    key: str  # entity:<slug> | tag:<slug>
    kind: str  # entity | concept
    type: str  # person, organization, product, place, event, other | concept
    name: str
    aliases: tuple[str, ...]
    mentions: int
    chunks: int
    documents: int
    degree: int
    importance: float


@dataclass(frozen=True)
class Knowledge:
    nodes: tuple[KnowledgeNode, ...]
    edges: tuple[EdgeRow, ...]

    def keys(self) -> list[str]:
        return [n.key for n in self.nodes]


def mention_frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Rows (doc, chunk, key, kind, type, surface, surfaces, mentions, score) as the frame `build` takes."""
    return pl.DataFrame(rows, schema=MENTION_SCHEMA, orient="row")


def top_concepts(mentions: pl.DataFrame, top: int = TOP_CONCEPTS_PER_DOC) -> pl.DataFrame:
    """(doc, key, score) of each document's best concepts: mention-weighted mean chunk score x (1 + 0.15 ln tf)."""
    return (mentions.filter(pl.col("kind") == "concept")
            .group_by("doc", "key")
            .agg(tf=pl.col("mentions").sum(), weighted=(pl.col("score") * pl.col("mentions")).sum())
            .with_columns(score=(pl.col("weighted") / pl.col("tf")) * (1 + 0.15 * pl.col("tf").log()))
            .sort(["doc", "score", "key"], descending=[False, True, False])
            .group_by("doc", maintain_order=True).head(top)
            .select("doc", "key", "score"))


def related_pairs(entities: pl.DataFrame) -> pl.DataFrame:
    """(key, other, chunks, npmi) of entity pairs that co-occur often and more than chance says they would."""
    places = entities.select("doc", "chunk", "key").unique()
    total = places.select("doc", "chunk").unique().height
    if total == 0:
        return pl.DataFrame(schema={"key": pl.String, "other": pl.String, "chunks": pl.UInt32, "npmi": pl.Float64})
    alone = places.group_by("key").agg(n=pl.len())
    pairs = (places.join(places, on=["doc", "chunk"], suffix="_other")
             .filter(pl.col("key") < pl.col("key_other"))
             .group_by("key", "key_other").agg(chunks=pl.len())
             .filter(pl.col("chunks") >= MIN_PAIR_CHUNKS)
             .join(alone, on="key").join(alone.rename({"key": "key_other", "n": "n_other"}), on="key_other"))
    p_ab = pl.col("chunks") / total
    pmi = (p_ab / ((pl.col("n") / total) * (pl.col("n_other") / total))).log()
    npmi = pl.when(p_ab >= 1.0).then(pl.lit(1.0)).otherwise(pmi / -(p_ab.log()))
    scored = (pairs.with_columns(npmi=npmi).filter(pl.col("npmi") >= MIN_NPMI)
              .rename({"key_other": "other"}).select("key", "other", "chunks", "npmi"))
    # each entity keeps its MAX_RELATED strongest links (a pair stays if either end keeps it)
    ends = pl.concat([scored.select(pl.col("key").alias("end"), "key", "other", "npmi"),
                      scored.select(pl.col("other").alias("end"), "key", "other", "npmi")])
    kept = (ends.sort(["end", "npmi", "key", "other"], descending=[False, True, False, False])
            .group_by("end", maintain_order=True).head(MAX_RELATED).select("key", "other").unique())
    return scored.join(kept, on=["key", "other"]).sort("key", "other")


def _most_common(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per key, the value of `column` with the most mentions (ties: the smallest value): names and types."""
    return (frame.group_by("key", column).agg(weight=pl.col("mentions").sum())
            .sort(["key", "weight", column], descending=[False, True, False])
            .group_by("key", maintain_order=True).first().select("key", column))


def build(mentions: pl.DataFrame) -> Knowledge:
    """The entity layer of a tenant from its mentions; the same rows (in any order) give the same result."""
    concepts = top_concepts(mentions)
    kept = mentions.filter((pl.col("kind") == "entity") | pl.col("key").is_in(concepts["key"].unique().implode()))
    pairs = related_pairs(kept.filter(pl.col("kind") == "entity"))
    edges = [EdgeRow(chunk_key(doc, chunk), key, "references", "mentions", float(n))
             for doc, chunk, key, n in kept.select("doc", "chunk", "key", "mentions").sort("doc", "chunk", "key")
             .iter_rows()]
    edges += [EdgeRow(doc_key(doc), key, "references", "key_concept", round(score, 2))
              for doc, key, score in concepts.sort("doc", "key").iter_rows()]
    edges += [EdgeRow(a, b, "relates_to", "co_occurs", round(npmi, 2))
              for a, b, _, npmi in pairs.iter_rows()]
    degree: dict[str, int] = {}
    for edge in edges:
        for end in (edge.src_key, edge.dst_key):
            if not end.startswith(("chunk:", "doc:")):
                degree[end] = degree.get(end, 0) + 1
    surfaces = (kept.select("key", "surfaces").explode("surfaces").drop_nulls().unique()
                .sort("key", "surfaces").group_by("key", maintain_order=True).agg(pl.col("surfaces").head(MAX_ALIASES)))
    stats = (kept.group_by("key").agg(kind=pl.col("kind").first(), mentions=pl.col("mentions").sum(),
                                      chunks=pl.struct("doc", "chunk").n_unique(), documents=pl.col("doc").n_unique())
             .join(_most_common(kept, "surface"), on="key").join(_most_common(kept, "type"), on="key")
             .join(surfaces, on="key", how="left").sort("key"))
    nodes = []
    for row in stats.iter_rows(named=True):
        d = degree.get(row["key"], 0)
        importance = 1.0 - math.exp(-(math.log1p(row["mentions"]) + 0.5 * math.log1p(d)) / 4.0)
        nodes.append(KnowledgeNode(row["key"], row["kind"], row["type"], row["surface"],
                                   tuple(row["surfaces"] or ()), int(row["mentions"]), int(row["chunks"]),
                                   int(row["documents"]), d, round(importance, 2)))
    return Knowledge(tuple(nodes), tuple(edges))


def node_rows(knowledge: Knowledge, vectors: dict[str, np.ndarray]) -> list[NodeRow]:
    """nodes_v2 rows of the entity layer; `vectors`: each key's name-in-context embedding (mean mention vector).

    metadata["mentions"] marks a node as this layer's: a concept that is also a folder or front-matter tag stays
    when nothing mentions it any more, but loses what this layer wrote."""
    rows = []
    for n in knowledge.nodes:
        color, size = KIND_STYLE[n.kind]
        slug = n.key.split(":", 1)[1]
        where = f"mentioned {n.mentions} time{'s' if n.mentions != 1 else ''} in {n.documents} " \
                f"document{'s' if n.documents != 1 else ''}"
        meta: dict[str, object] = {"aliases": list(n.aliases), "mentions": n.mentions, "chunks": n.chunks,
                                   "documents": n.documents}
        if n.kind == "entity":
            meta["entity_type"], summary = n.type, f"{n.type.capitalize()}, {where}"
        else:
            meta["tag_slug"], summary = slug, f"Concept, {where}"
        rows.append(NodeRow(n.key, n.kind, n.name[:NAME_CHARS], summary, None, slug, None, None, vectors.get(n.key),
                            color, round(size * (1.0 + n.importance), 2), meta, n.importance))
    return rows
