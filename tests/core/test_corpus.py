"""The committed sample corpus is clean input of a known size: the end-to-end demo's budget depends on it."""

from collections import Counter
from pathlib import Path

import pytest

from glyph_core.chunking import chunk_text, load_tokenizer
from glyph_core.models import ParsedDocument
from glyph_core.parsing import parse_document, validate_object_key

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
TENANTS = ("acme", "globex")


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedDocument]:
    """Every corpus file parsed exactly as the pipeline would: key validated against its tenant, then parsed."""
    documents: dict[str, ParsedDocument] = {}
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        key = path.relative_to(CORPUS).as_posix()
        tenant = key.split("/", 1)[0]
        documents[key] = parse_document(validate_object_key(key, tenant), path.read_bytes())
    return documents


def test_corpus_has_two_tenants_of_about_150_documents(parsed: dict[str, ParsedDocument]) -> None:
    per_tenant = Counter(key.split("/", 1)[0] for key in parsed)
    assert set(per_tenant) == set(TENANTS)
    assert 250 <= len(parsed) <= 350
    assert all(120 <= per_tenant[t] <= 200 for t in TENANTS)


def test_each_tenant_has_every_format(parsed: dict[str, ParsedDocument]) -> None:
    for tenant in TENANTS:
        formats = Counter(doc.format for key, doc in parsed.items() if key.startswith(f"{tenant}/"))
        assert set(formats) == {"md", "txt", "html", "json", "pdf"}, tenant
        assert 2 <= formats["pdf"] <= 6


def test_corpus_is_small(parsed: dict[str, ParsedDocument]) -> None:
    assert sum(doc.metadata["source_bytes"] for doc in parsed.values()) < 3 * 1024 * 1024


def test_documents_are_mostly_100_to_1500_words(parsed: dict[str, ParsedDocument]) -> None:
    words = [len(doc.text.split()) for doc in parsed.values()]
    assert all(40 <= n <= 2500 for n in words)
    assert sum(100 <= n <= 1500 for n in words) >= 0.9 * len(words)


def test_tenant_corpora_share_no_document(parsed: dict[str, ParsedDocument]) -> None:
    hashes = {t: {doc.content_hash for key, doc in parsed.items() if key.startswith(f"{t}/")} for t in TENANTS}
    assert not hashes["acme"] & hashes["globex"]


def test_folders_become_tags(parsed: dict[str, ParsedDocument]) -> None:
    doc = parsed["acme/reference/text/difflib.md"]
    assert doc.key == "reference/text/difflib.md"
    assert {"reference", "text", "python"} <= set(doc.tags)


def test_pdfs_carry_their_text_and_title(parsed: dict[str, ParsedDocument]) -> None:
    pdfs = [doc for doc in parsed.values() if doc.format == "pdf"]
    assert all(doc.metadata["pages_extracted"] >= 1 and len(doc.text.split()) >= 100 for doc in pdfs)
    assert parsed["acme/memos/2026/heapq-memo.pdf"].title == "heapq — Heap queue algorithm (a.k.a. priority queue)"


def test_corpus_chunk_count_fits_the_demo_budget(parsed: dict[str, ParsedDocument]) -> None:
    # About 22 chunks/s of encoding here: 600-900 chunks keep the end-to-end demo around a minute.
    tokenizer = load_tokenizer()
    per_tenant: Counter[str] = Counter()
    for key, doc in parsed.items():
        per_tenant[key.split("/", 1)[0]] += len(chunk_text(doc.text, tokenizer))
    assert 600 <= sum(per_tenant.values()) <= 900
    assert all(300 <= per_tenant[t] <= 500 for t in TENANTS)
