"""Nearest-neighbour `similar_to` edges between chunks, exact, in numpy (pure).

For each query chunk: the `k` most similar chunks of the tenant (cosine; vectors are normalized, so a dot product)
that belong to another document and reach `threshold`. An edge is stored once per pair, oriented from the smaller
external key to the larger, weighted by the similarity rounded to 4 decimals (so re-runs compare equal). Exact
search makes the same input give the same edges on every run, which an approximate index cannot promise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from glyph_core.graph import EdgeRow

QUERY_BLOCK = 1024  # query rows per matrix product: bounds memory at QUERY_BLOCK x pool size floats


@dataclass
class VectorPool:
    """The tenant's chunk vectors the queries are compared with; grows as batches are graphed."""

    keys: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    _blocks: list[np.ndarray] = field(default_factory=list)
    _matrix: np.ndarray | None = None

    def add(self, keys: Sequence[str], sources: Sequence[str], vectors: np.ndarray) -> None:
        if not len(keys):
            return
        self.keys.extend(keys)
        self.sources.extend(sources)
        self._blocks.append(np.asarray(vectors, dtype=np.float32).reshape(len(keys), -1))
        self._matrix = None

    def drop_sources(self, sources: set[str]) -> None:
        """Forget the chunks of documents that are about to be graphed again (their vectors may change)."""
        if not sources or not self.keys:
            return
        keep = np.array([s not in sources for s in self.sources])
        matrix = self.matrix()[keep]
        self.keys = [k for k, kept in zip(self.keys, keep) if kept]
        self.sources = [s for s, kept in zip(self.sources, keep) if kept]
        self._blocks, self._matrix = [matrix], matrix

    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks) if self._blocks else np.zeros((0, 0), dtype=np.float32)
            self._blocks = [self._matrix] if self._blocks else []
        return self._matrix

    def __len__(self) -> int:
        return len(self.keys)


def similar_edges(query_keys: Sequence[str], query_sources: Sequence[str], query_vectors: np.ndarray,
                  pool: VectorPool, k: int, threshold: float) -> list[EdgeRow]:
    """Top-`k` neighbours of every query chunk in `pool` (other documents only) with similarity >= threshold."""
    if not len(query_keys) or not len(pool) or k <= 0:
        return []
    matrix = pool.matrix()
    pool_sources = np.array(pool.sources, dtype=object)
    found: dict[tuple[str, str], float] = {}
    queries = np.asarray(query_vectors, dtype=np.float32)
    for start in range(0, len(query_keys), QUERY_BLOCK):
        sims = queries[start:start + QUERY_BLOCK] @ matrix.T
        for row, (key, source) in enumerate(zip(query_keys[start:start + QUERY_BLOCK],
                                                query_sources[start:start + QUERY_BLOCK])):
            scores = sims[row]
            scores[pool_sources == source] = -np.inf  # never within one document
            take = min(k, len(scores))
            best = np.argpartition(-scores, take - 1)[:take]
            for j in best[np.argsort(-scores[best], kind="stable")]:
                score = float(scores[j])
                if score < threshold:
                    break
                other = pool.keys[j]
                pair = (key, other) if key < other else (other, key)
                found[pair] = max(found.get(pair, -1.0), round(score, 4))
    return [EdgeRow(a, b, "similar_to", "semantic_similarity", w) for (a, b), w in sorted(found.items())]
