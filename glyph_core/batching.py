"""Small pure helpers the stages share: fixed-size batches, and which chunk texts still need the model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import TypeVar

from glyph_core.models import ChunkToEmbed

T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items (the last may be shorter)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def texts_to_encode(chunks: Sequence[ChunkToEmbed], known: Mapping[str, object]) -> dict[str, str]:
    """content hash -> text of the chunks whose vector is known nowhere, or whose mentions are still to be found
    (they come out of the same forward pass); a text shared by chunks is encoded once."""
    return {c.content_hash: c.chunk_text for c in chunks
            if (c.needs_vector and c.content_hash not in known) or c.needs_mentions}
