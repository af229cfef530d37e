"""Precision and recall of the entity layer against a hand-labelled gold set (tests/fixtures/gold_entities.json).

Document level, micro-averaged, names compared after `mentions.canonical` (case, whitespace, possessives, a leading
determiner, simple plurals). Entities: a predicted node is right when its name or one of its aliases is a gold
name or alias; a gold entity is found when some node is right about it; typed accuracy is the share of found
entities with the gold type. Concepts: a document's key concepts against its gold concepts (and their aliases),
exact after normalisation, or "lenient": whole-word containment either way, the shorter phrase covering at least
half of the longer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from glyph_core.mentions import canonical


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    predicted: int
    gold: int
    typed_accuracy: float | None = None

    def line(self) -> str:
        typed = f", typed {self.typed_accuracy:.2f}" if self.typed_accuracy is not None else ""
        return (f"P {self.precision:.2f} / R {self.recall:.2f} / F1 {self.f1:.2f} "
                f"({self.predicted} predicted, {self.gold} gold{typed})")


@dataclass(frozen=True)
class PredictedEntity:
    names: tuple[str, ...]  # name first, then aliases
    type: str


def _score(hits_p: int, n_p: int, hits_r: int, n_g: int, typed: float | None = None) -> Score:
    p = hits_p / n_p if n_p else 0.0
    r = hits_r / n_g if n_g else 0.0
    return Score(round(p, 3), round(r, 3), round(2 * p * r / (p + r), 3) if p + r else 0.0, n_p, n_g,
                 None if typed is None else round(typed, 3))


def score_entities(gold: Sequence[Mapping[str, Any]], predicted: Mapping[str, Iterable[PredictedEntity]]) -> Score:
    hits_p = n_p = hits_r = n_g = typed = 0
    for doc in gold:
        forms: dict[str, set[int]] = {}
        for i, e in enumerate(doc["entities"]):
            for name in [e["name"], *e.get("aliases", [])]:
                forms.setdefault(canonical(name), set()).add(i)
        found: dict[int, str] = {}
        for entity in predicted.get(doc["key"], ()):
            n_p += 1
            matched = set().union(*(forms.get(canonical(n), set()) for n in entity.names))
            hits_p += bool(matched)
            for i in matched:
                found.setdefault(i, entity.type)
        n_g += len(doc["entities"])
        hits_r += len(found)
        typed += sum(1 for i, t in found.items() if doc["entities"][i]["type"] == t)
    return _score(hits_p, n_p, hits_r, n_g, typed / hits_r if hits_r else 0.0)


def lenient_match(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a.split(), b.split()), key=len)
    return len(short) * 2 >= len(long_) and f" {' '.join(short)} " in f" {' '.join(long_)} "


def score_concepts(gold: Sequence[Mapping[str, Any]], predicted: Mapping[str, Sequence[str]],
                   lenient: bool = False) -> Score:
    hits_p = n_p = hits_r = n_g = 0
    for doc in gold:
        golds = [{canonical(c)} | {canonical(a) for a in doc.get("concept_aliases", {}).get(c, [])}
                 for c in doc["concepts"]]
        names = list(dict.fromkeys(canonical(c) for c in predicted.get(doc["key"], ())))
        matched: set[int] = set()
        for name in names:
            hit = {i for i, forms in enumerate(golds)
                   if name in forms or (lenient and any(lenient_match(name, f) for f in forms))}
            hits_p += bool(hit)
            matched |= hit
        n_p, n_g, hits_r = n_p + len(names), n_g + len(golds), hits_r + len(matched)
    return _score(hits_p, n_p, hits_r, n_g)
