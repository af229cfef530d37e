"""Chunks are measured with the model's real tokenizer: what the model would ignore must never be produced."""

import time
from itertools import pairwise
from pathlib import Path
from pydoc_data.topics import topics

import pytest
from tokenizers import Tokenizer

from glyph_core.chunking import ChunkSpec, chunk_text, load_tokenizer, tokenizer_path
from glyph_core.ids import content_hash

DEFAULT = ChunkSpec()
REFERENCE_TEXT = "\n\n".join(topics[key] for key in sorted(topics))  # ~65k words of real technical prose


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return load_tokenizer()


def token_spans(text: str, tokenizer: Tokenizer) -> list[tuple[int, int]]:
    return tokenizer.encode(text, add_special_tokens=False).offsets


def test_load_tokenizer_turns_off_truncation_and_padding(tokenizer: Tokenizer) -> None:
    assert tokenizer.truncation is None
    assert tokenizer.padding is None
    assert tokenizer_path().name == "tokenizer.json"
    assert tokenizer.encode("hello world").tokens == ["[CLS]", "hello", "world", "[SEP]"]


def test_a_tokenizer_that_truncates_is_refused() -> None:
    raw = Tokenizer.from_file(str(tokenizer_path()))  # ships with truncation at 128
    with pytest.raises(ValueError) as error:
        chunk_text("text", raw)
    assert str(error.value) == (
        "tokenizer truncates or pads its input; use load_tokenizer() or call no_truncation()/no_padding()"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 3}, "max_tokens must be at least 4, got 3"),
        (
            {"max_tokens": 10, "overlap_tokens": 5},
            "overlap_tokens must be between 0 and half of the usable window (4), got 5",
        ),
        ({"overlap_tokens": -1}, "overlap_tokens must be between 0 and half of the usable window (127), got -1"),
        ({"boundary_zone": 1.0}, "boundary_zone must be in [0, 1), got 1.0"),
    ],
)
def test_chunk_spec_validates_itself(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError) as error:
        ChunkSpec(**kwargs)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_default_spec_matches_the_model_window() -> None:
    assert (DEFAULT.max_tokens, DEFAULT.overlap_tokens, DEFAULT.usable_tokens) == (256, 32, 254)


@pytest.mark.parametrize("text", ["", "   \n\n\t ", "\x00\x01\x02"])
def test_text_without_tokens_gives_no_chunks(text: str, tokenizer: Tokenizer) -> None:
    assert chunk_text(text, tokenizer) == []


def test_short_text_is_one_chunk(tokenizer: Tokenizer) -> None:
    [chunk] = chunk_text("one short line", tokenizer)
    assert (chunk.index, chunk.text, chunk.token_count, chunk.start_token) == (0, "one short line", 3, 0)
    assert chunk.content_hash == content_hash("one short line")


def test_chunking_is_deterministic(tokenizer: Tokenizer) -> None:
    text = REFERENCE_TEXT[:200_000]
    assert chunk_text(text, tokenizer) == chunk_text(text, tokenizer)


@pytest.mark.parametrize(
    "spec", [DEFAULT, ChunkSpec(max_tokens=128, overlap_tokens=16), ChunkSpec(max_tokens=32, overlap_tokens=4)]
)
def test_every_chunk_fits_the_model_window_when_re_tokenized(spec: ChunkSpec, tokenizer: Tokenizer) -> None:
    chunks = chunk_text(REFERENCE_TEXT[:300_000], tokenizer, spec)
    encodings = tokenizer.encode_batch([c.text for c in chunks])  # with [CLS]/[SEP], as the model sees them
    for chunk, encoding in zip(chunks, encodings, strict=True):
        assert len(encoding.ids) == chunk.token_count + 2 <= spec.max_tokens
    assert max(c.token_count for c in chunks) == spec.usable_tokens or len(chunks) == 1


def test_chunks_are_exact_slices_that_cover_every_token(tokenizer: Tokenizer) -> None:
    text = REFERENCE_TEXT[:300_000]
    spans = token_spans(text, tokenizer)
    chunks = chunk_text(text, tokenizer)
    for chunk in chunks:
        first, last = spans[chunk.start_token], spans[chunk.start_token + chunk.token_count - 1]
        assert chunk.text == text[first[0] : last[1]]
        assert chunk.content_hash == content_hash(chunk.text)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start_token == 0
    assert chunks[-1].start_token + chunks[-1].token_count == len(spans)
    for previous, current in pairwise(chunks):
        assert previous.start_token < current.start_token <= previous.start_token + previous.token_count


def test_consecutive_chunks_overlap_by_about_the_spec(tokenizer: Tokenizer) -> None:
    chunks = chunk_text(REFERENCE_TEXT[:300_000], tokenizer)
    overlaps = [p.start_token + p.token_count - c.start_token for p, c in pairwise(chunks)]
    # At least the spec; more only when the overlap start moves back to the start of a word.
    assert all(DEFAULT.overlap_tokens <= overlap <= DEFAULT.overlap_tokens + 20 for overlap in overlaps)
    assert sorted(overlaps)[len(overlaps) // 2] == DEFAULT.overlap_tokens


def test_chunks_end_at_sentence_ends_when_sentences_are_short(tokenizer: Tokenizer) -> None:
    text = " ".join(f"Sentence number {n} says something short about item {n * 7}." for n in range(400))
    chunks = chunk_text(text, tokenizer)
    assert len(chunks) > 5
    assert all(c.text.endswith(".") for c in chunks)
    assert all(c.token_count >= DEFAULT.usable_tokens * 0.8 for c in chunks[:-1])


def test_a_paragraph_break_in_the_last_fifth_wins_over_a_later_sentence_end(tokenizer: Tokenizer) -> None:
    first = " ".join(["Filler sentence with several words."] * 34)  # 238 tokens, inside the last fifth
    second = " ".join(["Next part goes on."] * 30)
    chunks = chunk_text(f"{first}\n\n{second}", tokenizer)
    assert chunks[0].text == first


def test_words_longer_than_the_window_are_cut_and_still_progress(tokenizer: Tokenizer) -> None:
    spec = ChunkSpec(max_tokens=6, overlap_tokens=1)
    text = "antidisestablishmentarianism " * 5 + "end"
    chunks = chunk_text(text, tokenizer, spec)
    spans = token_spans(text, tokenizer)
    assert all(1 <= c.token_count <= spec.usable_tokens for c in chunks)
    assert chunks[-1].start_token + chunks[-1].token_count == len(spans)
    assert all(p.start_token < c.start_token for p, c in pairwise(chunks))


def test_one_huge_word_is_one_unknown_token_cut_to_max_chars(tokenizer: Tokenizer) -> None:
    [chunk] = chunk_text("x" * 100_000, tokenizer)
    assert (chunk.token_count, len(chunk.text), chunk.cut_chars) == (1, 4096, 100_000 - 4096)
    assert chunk.text == "x" * 4096


def test_no_chunk_exceeds_max_chars_whatever_the_runs(tokenizer: Tokenizer) -> None:
    run = "ab12" * 250_000  # a 1 MB run without a space: one [UNK] token for the model
    text = "An ordinary sentence about graphs. " * 40 + run + " Then prose again, about vectors. " * 40
    spec = ChunkSpec(max_chars=4096)
    chunks = chunk_text(text, tokenizer, spec)
    assert max(len(c.text) for c in chunks) <= spec.max_chars
    [cut] = [c for c in chunks if c.cut_chars]
    assert cut.text == run[:4096] and cut.cut_chars == len(run) - 4096 and cut.token_count == 1
    assert chunks[-1].text.endswith("about vectors.")  # the prose after the run is chunked as usual
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_many_long_words_end_a_window_early_at_a_token_boundary(tokenizer: Tokenizer) -> None:
    text = " ".join(f"{i:03d}" + "q" * 96 for i in range(300))  # 99-character words: many tokens, many characters
    chunks = chunk_text(text, tokenizer, ChunkSpec(max_chars=1000))
    assert all(len(c.text) <= 1000 and c.cut_chars == 0 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") .startswith("000")


def test_unicode_text_is_sliced_on_character_offsets(tokenizer: Tokenizer) -> None:
    line = "Émoji 😀 naïve 日本語のテキスト。 Zalgo z̷̢a̵l̴g̶o. مرحبا بالعالم، שלום עולם. Familie 👨‍👩‍👧.\n"
    text = line * 60
    spans = token_spans(text, tokenizer)
    chunks = chunk_text(text, tokenizer, ChunkSpec(max_tokens=64, overlap_tokens=8))
    for chunk in chunks:
        first, last = spans[chunk.start_token], spans[chunk.start_token + chunk.token_count - 1]
        assert chunk.text == text[first[0] : last[1]]
        assert len(tokenizer.encode(chunk.text, add_special_tokens=False).ids) == chunk.token_count


def test_a_two_million_character_document_chunks_quickly(tokenizer: Tokenizer) -> None:
    text = (REFERENCE_TEXT * (2_000_000 // len(REFERENCE_TEXT) + 1))[:2_000_000]
    started = time.monotonic()
    chunks = chunk_text(text, tokenizer)
    elapsed = time.monotonic() - started
    assert 2_000 < len(chunks) < 4_000
    assert elapsed < 20.0  # about 1.5 s here; the bound only catches quadratic regressions on noisy machines


def test_tokenizer_file_is_the_packaged_model(tokenizer: Tokenizer) -> None:
    assert Path(tokenizer_path()).parent.name == "model"
    assert tokenizer.get_vocab_size() == 30522
