"""Scoring the entity layer against the gold set (glyph_core/quality.py), and the gold set's own shape."""

from __future__ import annotations

import json
from pathlib import Path

from glyph_core.quality import PredictedEntity, lenient_match, score_concepts, score_entities

GOLD = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "gold_entities.json").read_text())
DOC = {"key": "t/re.md", "entities": [{"name": "re", "type": "product", "aliases": ["re module"]},
                                      {"name": "Perl", "type": "product", "aliases": []}],
       "concepts": ["regular expression", "flag"], "concept_aliases": {"regular expression": ["regex"]}}


def test_the_gold_set_is_hand_labelled_sample_documents() -> None:
    docs = GOLD["documents"]
    assert len(docs) >= 30 and {d["split"] for d in docs} == {"dev", "test"}
    corpus = Path(__file__).resolve().parents[2] / "samples" / "corpus"
    assert all((corpus / d["key"]).is_file() for d in docs)
    assert all(d["entities"] and 3 <= len(d["concepts"]) <= 10 for d in docs)


def test_entities_match_on_names_and_aliases_after_normalisation() -> None:
    predicted = {"t/re.md": [PredictedEntity(("The re Module",), "product"), PredictedEntity(("Python",), "product")]}
    score = score_entities([DOC], predicted)
    assert (score.precision, score.recall, score.typed_accuracy) == (0.5, 0.5, 1.0)


def test_concepts_exact_or_lenient() -> None:
    predicted = {"t/re.md": ["Regex", "flags", "special sequence"]}
    assert score_concepts([DOC], predicted).recall == 1.0
    assert round(score_concepts([DOC], predicted).precision, 2) == 0.67
    assert lenient_match("greedy repetition", "repetition") and not lenient_match("a b c", "c")
