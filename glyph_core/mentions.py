"""Named entities and key-concept candidates in a chunk of text, and their vectors pooled from the encoder (pure).

Entities come from two sources, both filtered for what a knowledge graph should hold on technical prose: rules for
technical names (modules named in titles or as "the X module", RFC/PEP numbers, acronyms, CamelCase class names,
documented signatures) and spaCy's NER spans (people, organizations, places: what rules cannot find), which the
caller runs only on chunks that have a name-like capitalised sequence (`needs_ner`). Concept candidates are 1-3 word
noun phrases (adjective/noun word classes from a lexicon, no stopwords, no code). Every span gets a vector: the mean
of the encoder's own contextual token vectors over its characters ("name in context"), minus half the chunk's mean
token vector (contextual vectors lean towards their chunk), so no phrase is ever encoded on its own.

Measured against the hand-labelled gold set (tests/fixtures/gold_entities.json): see README, "Knowledge in the graph".
"""

from __future__ import annotations

import builtins
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from glyph_core.ids import tag_slug

EXTRACTOR = "mentions-3+en_core_web_sm-3.8.0"  # bump when the rules or filters change: every text is read again
ENTITY, CONCEPT = "entity", "concept"
CENTRE = 0.5  # share of the chunk's mean token vector taken off each span vector
MAX_CONCEPTS_PER_CHUNK = 8  # candidates kept per chunk (most similar to the chunk): the rest never reach the graph

_DETS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "our", "your", "his", "her", "each",
         "every", "any", "all", "some", "such", "no", "other", "another", "my", "which", "what"}
_STRIP = " \t\n\"'`“”‘’.,;:!?()[]{}*#>-|"


@dataclass(frozen=True)
class Lexicon:
    """Word lists the concept filter needs (spaCy's English stopwords, WordNet word classes), loaded by the caller."""

    stopwords: frozenset[str]
    nouns: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()
    adjectives: frozenset[str] = frozenset()
    adverbs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # entity | concept
    type: str  # person, organization, product, place, event, other; "concept" for concepts


@dataclass
class Mention:
    """One entity or concept of a chunk: canonical key, how it was written, how often, and its vector."""

    key: str
    kind: str
    type: str
    surface: str
    count: int
    vector: np.ndarray | None = None
    score: float = 0.0  # concepts: similarity to the chunk
    surfaces: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ canonical names


def singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def canonical(surface: str) -> str:
    """Case, whitespace, possessives, a leading determiner and simple plurals normalised: one name per thing."""
    s = unicodedata.normalize("NFKC", surface)
    s = re.sub(r"\s+", " ", s).strip(_STRIP).lower()
    s = re.sub(r"(?:'|’)s\b", "", s)
    s = re.sub(r"(?<=\w)(?:'|’)(?=\s|$)", "", s)
    words = s.split(" ")
    while len(words) > 1 and words[0] in _DETS:
        words = words[1:]
    if words and words[-1]:
        words[-1] = singular(words[-1])
    return " ".join(words).strip(_STRIP)


def mention_key(kind: str, surface: str) -> str | None:
    """External key of the node a mention belongs to: `tag:<slug>` for concepts (the same node as a folder or
    front-matter tag of that name), `entity:<slug>` for entities; None when nothing sluggable is left."""
    name = canonical(surface)
    try:
        slug = tag_slug(name)
    except ValueError:
        return None
    return f"tag:{slug}" if kind == CONCEPT else f"entity:{slug}"


# ------------------------------------------------------------------------------------------------ entities

SPACY_TYPES = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place", "FAC": "place",
               "PRODUCT": "product", "WORK_OF_ART": "product", "LANGUAGE": "product", "EVENT": "event",
               "LAW": "other", "NORP": "other"}
NUMERIC_LABELS = {"CARDINAL", "ORDINAL", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY"}
STDLIB = set(sys.stdlib_module_names)
BUILTIN_EXCEPTIONS = {n for n in dir(builtins)
                      if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException)}
CONSTANTS = {"True", "False", "None", "NotImplemented", "Ellipsis"}

_CODE_CHARS = re.compile(r"[()\[\]{}=<>*\\$\"`;_@#|~^]|::|->|\w\.\w*\(|^[./]|\.(?:py|db|txt|zip|json)\b")
_SENTENCE_END = re.compile(r"(?<!^[A-Z])(?<!\s[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bSt)[.!?;:]\s+\S")
_DOTTED_LOWER = re.compile(r"\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")
_EDGE_VERBS = {"matches", "match", "return", "returns", "split", "find", "compile", "raise", "raised", "create",
               "creates", "see", "use", "note", "args", "example", "lookups", "returns:"}
_STANDARD = re.compile(r"\b(RFC|PEP|ECMA|ISO|STD)[ -]?(\d{2,5})\b")
_ACRONYM = re.compile(r"(?<![\w.\-/])([A-Z][A-Z0-9]{1,9}(?:-[0-9]{1,3}(?:\.[0-9]+)*)?(?:/[0-9](?:\.[0-9])?)?)"
                      r"(?![\w\-(])(?!\.\d)(?! \d)")
_CAMEL = re.compile(r"(?<![\w.])([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|[A-Z]{2,}[a-z]+[A-Za-z0-9]*[a-z][A-Za-z0-9]*|"
                    r"[A-Z][A-Za-z]*[a-z][A-Z0-9][A-Za-z0-9]*)(?![\w(])")
_SIGNATURE = re.compile(r"^\s*([A-Z][A-Za-z0-9]+)(?:\(|\.[a-z_]+\(|$)")
_TITLE_MODULE = [re.compile(r"^(?:The )?([a-z_][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) (?:—|--|-) "),
                 re.compile(r"^The ([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*) (?:module|package)\b")]
_MODULE_MENTION = re.compile(r"\b(?:the )?([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*) (?:module|package)\b")
_ACRONYM_STOP = {"OK", "ID", "IO", "II", "III", "IV", "NB", "TODO", "XXX", "API", "EOF", "AS", "IS", "OR", "AND",
                 "NOT", "NO", "IN", "OF", "TO", "BY", "ON", "IF", "AT", "BE", "DO", "IT", "A", "I", "UC"}
_NAME_GATE = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:[ \t]+(?:(?:of|for|the|van|von|de)[ \t]+)?[A-Z][a-zà-ÿ]+)+\b|"
                        r"\b[A-Z]\.[ ]?[A-Z][a-zà-ÿ]+")
_GATE_STOP = {"The", "See", "If", "Return", "Returns", "A", "An", "This", "For", "With", "True", "False", "None",
              "In", "On", "Note", "Raises", "Args", "When", "Use", "All", "of", "for", "the", "van", "von", "de"}


def needs_ner(text: str) -> bool:
    """Whether the chunk has a name-like capitalised sequence ("Guido van Rossum", "Python Software Foundation"):
    only those go through the statistical NER (a quarter of the words, for all of its person/org/place hits)."""
    for m in _NAME_GATE.finditer(text):
        words = [w for w in re.split(r"[ \t]+", m.group(0)) if w not in _GATE_STOP]
        if len(words) >= 2 or re.match(r"[A-Z]\.", m.group(0)):
            return True
    return False


def _code_line(line: str) -> bool:
    s = line.lstrip()
    return s.startswith((">>>", ">>", "...", "$ ", "#")) or bool(re.search(r"\w\(.*\)\s*(#|$)", s) and "=" in s)


def _shouting(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6


def entity_ok(surface: str) -> bool:
    """No numbers, versions, code identifiers, single lowercase words, shouted phrases or overlong spans."""
    if "\n\n" in surface:
        return False
    t = re.sub(r"\s+", " ", surface).strip(_STRIP)
    if len(t) < 2 or not re.search(r"[A-Za-z]", t) or re.fullmatch(r"[\d\s.,:/\-+%]+\w{0,2}", t):
        return False
    if _CODE_CHARS.search(t) or _DOTTED_LOWER.search(t) or "://" in t or t.lower().startswith("www."):
        return False
    if _SENTENCE_END.search(t):  # a span over a sentence boundary ("I/O. Depending"), not "T. Berners-Lee"
        return False
    words = t.split(" ")
    if len(words) > 6 or not any(c.isupper() for c in t) or any(len(w) == 1 and w.islower() for w in words):
        return False
    if len(words) > 1 and t.isupper():
        return False
    return words[0].lower() not in _EDGE_VERBS and words[-1].lower() not in _EDGE_VERBS


def rule_entity_spans(text: str) -> list[Span]:
    """Technical names by pattern, line by line (code lines give only standards)."""
    spans: list[Span] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        def add(start: int, end: int, base: int = offset) -> None:
            spans.append(Span(base + start, base + end, ENTITY, "product"))

        if number == 0:
            for rx in _TITLE_MODULE:
                if m := rx.search(line):
                    add(m.start(1), m.end(1))
                    break
        for m in _STANDARD.finditer(line):
            add(m.start(), m.end())
        if not _code_line(line):
            for m in _MODULE_MENTION.finditer(line):
                if m.group(1).split(".")[0] in STDLIB:
                    add(m.start(1), m.end(1))
            if not _shouting(line):
                for m in _ACRONYM.finditer(line):
                    name = m.group(1)
                    if name not in _ACRONYM_STOP and not _STANDARD.fullmatch(name) and not re.fullmatch(r"[A-Z]\d*",
                                                                                                        name):
                        add(m.start(1), m.end(1))
            for m in _CAMEL.finditer(line):
                add(m.start(1), m.end(1))
            if (m := _SIGNATURE.match(line)) and len(m.group(1)) > 2 and not m.group(1).isupper():
                add(m.start(1), m.end(1))
        offset += len(line) + 1
    return spans


def _prose_lower_words(text: str) -> set[str]:
    words: set[str] = set()
    for line in text.split("\n"):
        if not _code_line(line):
            words.update(re.findall(r"(?<![\w.(_\[])([a-z][a-z\-]+)(?![\w(_.\[])", line))
    return words


def entity_spans(text: str, ner: Sequence[tuple[int, int, str]] = ()) -> list[Span]:
    """Rule spans first (their type wins), then NER spans (start, end, spaCy label) that pass `entity_ok`. Dropped
    from both: Python constants, built-in exceptions, and ALL-CAPS words of 4+ letters the chunk also writes in
    lower case ("NOTE"); from NER only: Title-case words the chunk also uses as ordinary words ("Median")."""
    found = [(span, False) for span in rule_entity_spans(text)]
    found += [(Span(s, e, ENTITY, SPACY_TYPES.get(label, "other")), True) for s, e, label in ner
              if label not in NUMERIC_LABELS and entity_ok(text[s:e])]
    lower = _prose_lower_words(text)
    kept: list[Span] = []
    for span, statistical in found:
        if any(span.start < k.end and k.start < span.end for k in kept):
            continue  # one occurrence, one mention: the first finder (rules before NER) wins
        surface = re.sub(r"\s+", " ", text[span.start:span.end]).strip(_STRIP)
        if not surface or surface in CONSTANTS or surface in BUILTIN_EXCEPTIONS:
            continue
        if " " not in surface and surface.lower() in lower:
            if surface.isupper() and len(surface) >= 4:
                continue
            if statistical and surface[:1].isupper() and surface[1:].islower():
                continue
        kept.append(span)
    return kept


# ------------------------------------------------------------------------------------------------ concepts

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|\S")
_BAD_TOKEN = re.compile(r"[_\d]|[a-z][A-Z]|^[A-Z]{2,}[a-z]")
_EXTRA_STOPWORDS = {"e.g", "i.e", "etc", "default", "defaults", "optional", "true", "false", "none", "returns",
                    "return", "args", "kwargs", "self", "given", "specified", "used", "following", "also", "new",
                    "way", "may", "use", "like", "note", "example", "value", "values", "object", "objects",
                    "function", "functions", "method", "methods", "argument", "arguments", "class", "instance",
                    "number", "string", "list", "type", "types", "data", "result", "set", "name", "names", "one",
                    "two", "case", "order", "otherwise", "raised", "raises", "called"}


def _stop(word: str, lexicon: Lexicon) -> bool:
    w = word.lower()
    return w in lexicon.stopwords or w in _EXTRA_STOPWORDS


def _word_classes(word: str, lexicon: Lexicon) -> set[str]:
    w = word.lower().replace("'s", "")
    bases = {w, w[:-3] + "y" if w.endswith("ies") else w, w[:-2] if w.endswith("es") else w,
             w[:-1] if w.endswith("s") else w}
    if w.endswith("ed"):
        bases |= {w[:-2], w[:-1]}
    if w.endswith("ing"):
        bases |= {w[:-3], w[:-3] + "e"}
    classes = set()
    if w in lexicon.nouns or singular(w) in lexicon.nouns:
        classes.add("noun")
    if w in lexicon.adjectives:
        classes.add("adj")
    if w in lexicon.adverbs:
        classes.add("adv")
    if bases & lexicon.verbs:
        classes.add("verb")
    return classes


def _noun_phrase(words: list[str], lexicon: Lexicon) -> bool:
    """<adj|noun>* <noun>: the last word a noun (or an unknown, technical word), no verb or adverb before it."""
    last = _word_classes(words[-1], lexicon)
    if last and "noun" not in last:
        return False
    for w in words[:-1]:
        c = _word_classes(w, lexicon)
        if c == {"verb"} and w.lower().endswith("ing"):
            continue  # a gerund modifier: "threading model"
        if c and not (c & {"noun", "adj"}):
            return False
        if c == {"verb", "noun"} and w.lower().endswith("s") and not w.lower().endswith("ss"):
            return False  # "provides", "contains" before a noun: a verb
    return True


def _concept_ok(phrase: str, lexicon: Lexicon) -> bool:
    words = phrase.split()
    if not words or len(words) > 4 or any(_BAD_TOKEN.search(w) for w in words):
        return False
    if len(words) == 1 and (len(phrase) < 3 or phrase.isupper() or phrase[0].isupper()):
        return False  # single acronyms and proper names are entities, not concepts
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9' \-]*[A-Za-z0-9]", phrase):
        return False
    return not _stop(words[0], lexicon) and not _stop(words[-1], lexicon) and _noun_phrase(words, lexicon)


def concept_spans(text: str, lexicon: Lexicon, max_words: int = 3) -> list[Span]:
    """Every 1..max_words gram inside a run of non-stopword, non-code words that reads as a noun phrase."""
    spans: list[Span] = []
    run: list[re.Match[str]] = []

    def emit() -> None:
        for i in range(len(run)):
            for n in range(1, max_words + 1):
                if i + n > len(run):
                    break
                start, end = run[i].start(), run[i + n - 1].end()
                if "\n" in text[start:end]:
                    break
                if _concept_ok(text[start:end], lexicon):
                    spans.append(Span(start, end, CONCEPT, CONCEPT))

    for m in _TOKEN.finditer(text):
        token = m.group(0)
        good = token[0].isalpha() and not _stop(token, lexicon) and not _BAD_TOKEN.search(token) and len(token) > 1
        good = good and ("'" not in token or token.endswith("'s"))
        after, before = text[m.end():m.end() + 1], text[m.start() - 1:m.start()] if m.start() else ""
        if good and after not in "(._=[" and before not in "._=":
            run.append(m)
        else:
            emit()
            run = []
    emit()
    return spans


# ------------------------------------------------------------------------------------------------ vectors


def span_vectors(tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
    """(len(spans), dims) normalised vectors: the mean of the token vectors overlapping each span's characters,
    minus CENTRE x the chunk's mean token vector. `offsets` (n, 2) are the tokens' character spans ([CLS]/[SEP]
    and padding marked with -1); a span no token covers gets a zero vector."""
    real = offsets[:, 0] >= 0
    mean = tokens[real].mean(axis=0) if real.any() else np.zeros(tokens.shape[1], dtype=np.float32)
    out = np.zeros((len(spans), tokens.shape[1]), dtype=np.float32)
    for i, span in enumerate(spans):
        inside = real & (offsets[:, 1] > span.start) & (offsets[:, 0] < span.end)
        if inside.any():
            v = tokens[inside].mean(axis=0) - CENTRE * mean
            out[i] = v / (np.linalg.norm(v) + 1e-9)
    return out


def collect(text: str, spans: Sequence[Span], vectors: np.ndarray, chunk_vector: np.ndarray,
            max_concepts: int = MAX_CONCEPTS_PER_CHUNK) -> list[Mention]:
    """Mentions of one chunk, one per key: occurrences counted, vectors averaged; concepts ranked by similarity to
    the chunk (+ a little for repetition) and only the best `max_concepts` kept. Sorted by key: deterministic."""
    groups: dict[str, Mention] = {}
    sums: dict[str, np.ndarray] = {}
    for span, vector in zip(spans, vectors):
        surface = re.sub(r"\s+", " ", text[span.start:span.end]).strip(_STRIP)
        key = mention_key(span.kind, surface)
        if key is None:
            continue
        if key in groups and groups[key].kind != span.kind:
            continue  # the same name as an entity and as a concept: the entity (found first) wins
        mention = groups.setdefault(key, Mention(key, span.kind, span.type, surface, 0))
        mention.count += 1
        if surface not in mention.surfaces:
            mention.surfaces.append(surface)
        sums[key] = sums.get(key, np.zeros_like(vector)) + vector
    for key, mention in groups.items():
        total = sums[key]
        norm = float(np.linalg.norm(total))
        mention.vector = (total / norm).astype(np.float32) if norm > 0 else None
        if mention.kind == CONCEPT and mention.vector is not None:
            mention.score = float(mention.vector @ chunk_vector) * (1.0 + 0.15 * float(np.log(mention.count)))
    concepts = sorted((m for m in groups.values() if m.kind == CONCEPT), key=lambda m: (-m.score, m.key))
    keep = {m.key for m in concepts[:max_concepts]} | {k for k, m in groups.items() if m.kind == ENTITY}
    return [groups[k] for k in sorted(keep)]


def all_spans(text: str, ner: Sequence[tuple[int, int, str]], lexicon: Lexicon) -> list[Span]:
    """Entity spans, then concept candidates that do not overlap an entity."""
    entities = entity_spans(text, ner)
    taken = [(s.start, s.end) for s in entities]
    concepts = [c for c in concept_spans(text, lexicon) if not any(c.start < e and s < c.end for s, e in taken)]
    return entities + concepts


def lexicon_from_tables(stopwords: Sequence[str], classes: Mapping[str, Sequence[str]]) -> Lexicon:
    return Lexicon(frozenset(w.lower() for w in stopwords), frozenset(classes.get("noun", ())),
                   frozenset(classes.get("verb", ())), frozenset(classes.get("adj", ())),
                   frozenset(classes.get("adv", ())))
