"""Entity and concept candidates of a chunk (glyph_core/mentions.py): pure, no model; vectors from toy arrays."""

from __future__ import annotations

import numpy as np
import pytest

from glyph_core.mentions import (
    CONCEPT,
    ENTITY,
    Lexicon,
    Span,
    all_spans,
    canonical,
    collect,
    concept_spans,
    entity_ok,
    entity_spans,
    mention_key,
    needs_ner,
    span_vectors,
)

LEXICON = Lexicon(stopwords=frozenset({"the", "a", "of", "and", "to", "is", "in", "with", "for", "it", "by"}),
                  nouns=frozenset({"hash", "function", "expression", "pattern", "module", "interface", "archive",
                                   "file", "regular", "collision", "weakness", "algorithm"}),
                  verbs=frozenset({"provide", "implement", "read", "write", "match"}),
                  adjectives=frozenset({"regular", "common", "secure", "known"}))


@pytest.mark.parametrize(("surface", "name"), [
    ("The Hash Functions", "hash function"), ("Python's", "python"), ("  regular\n expressions ", "regular expression"),
    ("classes", "class"), ("SHA-256", "sha-256"), ("the BSD licenses", "bsd license")])
def test_one_canonical_name_per_thing(surface: str, name: str) -> None:
    assert canonical(surface) == name


def test_keys_put_concepts_on_the_tag_nodes_and_entities_apart() -> None:
    assert mention_key(CONCEPT, "Data Types") == "tag:data-type"
    assert mention_key(ENTITY, "Guido van Rossum") == "entity:guido-van-rossum"
    assert mention_key(ENTITY, "!!!") is None


def test_rules_find_technical_names_and_skip_code_lines() -> None:
    text = ("hashlib — Secure hashes\n\nThe hashlib module implements MD5 and SHA-256 (see RFC 1321).\n"
            ">>> m = OrderedDict()\nUse TarFile objects.")
    found = {text[s.start:s.end] for s in entity_spans(text)}
    assert {"hashlib", "MD5", "SHA-256", "RFC 1321", "TarFile"} <= found
    assert "OrderedDict" not in found  # only inside a line of code


def test_statistical_spans_are_filtered_rule_spans_keep_their_type() -> None:
    text = "Guido van Rossum wrote it. Median values, 1972 and the median value.\nValueError is raised; NOTE: note this."
    ner = [(0, 16, "PERSON"), (27, 33, "PERSON"), (42, 46, "DATE"), (69, 79, "ORG")]
    spans = entity_spans(text, ner)
    surfaces = {text[s.start:s.end]: s.type for s in spans}
    assert surfaces == {"Guido van Rossum": "person"}  # Median (used in lower case), the date, ValueError, NOTE


@pytest.mark.parametrize(("surface", "ok"), [
    ("Python Software Foundation", True), ("T. Berners-Lee", True), ("I/O. Depending", False), ("x = f(y)", False),
    ("3.11.7", False), ("lowercase words", False), ("DATA OR PROFITS", False), ("os.path", False)])
def test_entity_filters(surface: str, ok: bool) -> None:
    assert entity_ok(surface) is ok


def test_the_ner_gate_lets_only_name_like_chunks_through() -> None:
    assert needs_ner("Written by Guido van Rossum at CWI.")
    assert needs_ner("See T. Berners-Lee for the history.")
    assert not needs_ner("The function returns a list. Raises ValueError.")


def test_concepts_are_noun_phrases_without_stopwords_or_code() -> None:
    text = "A common interface to secure hash algorithms, with known collision weaknesses; call md5_update(x) or " \
           "other functions."
    phrases = {text[s.start:s.end] for s in concept_spans(text, LEXICON)}
    assert {"common interface", "secure hash algorithms", "hash algorithms", "known collision weaknesses"} <= phrases
    assert "functions" not in phrases  # generic documentation words are stopwords here
    assert not any("md5" in p or p.startswith(("a ", "to ")) for p in phrases)


def test_concepts_never_overlap_entities() -> None:
    text = "The TarFile archive format"
    spans = all_spans(text, [], LEXICON)
    entity = next(s for s in spans if s.kind == ENTITY)
    assert all(s.end <= entity.start or s.start >= entity.end for s in spans if s.kind == CONCEPT)


def test_span_vectors_pool_the_tokens_under_each_span() -> None:
    tokens = np.array([[0, 0], [1, 0], [0, 1], [0, 0]], dtype=np.float32)  # [CLS], "ab", "cd", [SEP]
    offsets = np.array([[-1, -1], [0, 2], [3, 5], [-1, -1]])
    vectors = span_vectors(tokens, offsets, [Span(0, 2, CONCEPT, CONCEPT), Span(0, 5, CONCEPT, CONCEPT),
                                             Span(9, 12, CONCEPT, CONCEPT)])
    mean = np.array([0.5, 0.5])
    expected = np.array([1, 0]) - 0.5 * mean
    assert np.allclose(vectors[0], expected / np.linalg.norm(expected))
    assert np.allclose(vectors[1], [np.sqrt(0.5), np.sqrt(0.5)])
    assert not vectors[2].any()  # no token there


def test_collect_counts_groups_ranks_and_is_deterministic() -> None:
    text = "hash function and Hash Functions; TarFile"
    spans = [Span(0, 13, CONCEPT, CONCEPT), Span(18, 32, CONCEPT, CONCEPT), Span(34, 41, ENTITY, "product")]
    vectors = np.eye(3, 4, dtype=np.float32)
    chunk = np.array([1, 0, 0, 0], dtype=np.float32)
    first = collect(text, spans, vectors, chunk)
    again = collect(text, list(reversed(spans)), vectors[::-1].copy(), chunk)
    assert [m.key for m in first] == ["entity:tarfile", "tag:hash-function"]
    concept = first[1]
    assert concept.count == 2 and concept.surfaces == ["hash function", "Hash Functions"]
    assert concept.vector is not None and np.isclose(np.linalg.norm(concept.vector), 1.0)
    assert [(m.key, m.count) for m in again] == [(m.key, m.count) for m in first]


def test_collect_keeps_only_the_best_concepts_of_a_chunk() -> None:
    words = [f"w{i}" for i in range(12)]
    text = " ".join(words)
    spans, start = [], 0
    for w in words:
        spans.append(Span(start, start + len(w), CONCEPT, CONCEPT))
        start += len(w) + 1
    vectors = np.stack([np.array([1.0, i / 10], dtype=np.float32) / np.hypot(1.0, i / 10) for i in range(12)])
    kept = collect(text, spans, vectors, np.array([1.0, 0.0], dtype=np.float32), max_concepts=3)
    assert [m.surface for m in kept] == ["w0", "w1", "w2"]


def test_one_occurrence_is_one_mention_whoever_finds_it() -> None:
    text = "The TarFile class and TarFile objects."
    spans = entity_spans(text, [(4, 11, "ORG"), (22, 29, "PRODUCT")])
    assert [(text[s.start:s.end], s.type) for s in spans] == [("TarFile", "product"), ("TarFile", "product")]
