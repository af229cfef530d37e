"""parse_document turns every format into normalized text, and refuses bad input with an exact reason."""

import codecs
import json
import pickle
import time

import pytest

from glyph_core.errors import QuarantinedDocument, TerminalError
from glyph_io.pdf_sandbox import sandboxed_pdf
from glyph_core.parsing import (
    DEFAULT_LIMITS,
    ParseLimits,
    json_depth,
    normalize_text,
    parse_document,
    validate_object_key,
)
from tests.fixtures.hostile_corpus import (
    UNSAFE_KEYS,
    build_hostile_corpus,
    encrypted_pdf,
    multi_page_pdf,
    text_pdf,
)

TENANT = "acme"


def quarantined(key: str, data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> QuarantinedDocument:
    with pytest.raises(QuarantinedDocument) as error:
        parse_document(key, data, limits=limits, pdf_reader=sandboxed_pdf)
    return error.value


# ---------------------------------------------------------------------------------------------------------------------
# formats


def test_txt_is_normalized_and_titled_by_its_first_line() -> None:
    doc = parse_document("notes/ops/runbook.txt", b"Runbook\r\n\r\n\r\n\r\nStep  one:\trestart.  \r\nStep two.\n")
    assert doc.format == "txt"
    assert doc.title == "Runbook"
    assert doc.text == "Runbook\n\nStep one: restart.\nStep two."
    assert doc.tags == ("notes", "ops")
    assert doc.metadata["encoding"] == "utf-8"
    assert doc.metadata["truncated"] is False
    assert doc.metadata["chars"] == len(doc.text)


def test_md_front_matter_gives_title_and_tags_and_markup_is_stripped() -> None:
    data = (
        b'---\ntitle: "Deploy guide"\ntags:\n  - Ops\n  - release notes\nowner: platform\n---\n'
        b"# Deploying\n\nRun **make deploy** with `--prod`; see [the wiki](https://wiki/x) and "
        b"![diagram](d.png).\n\n> Quoted tip.\n\n```sh\nmake deploy\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    doc = parse_document("guides/deploy.md", data)
    assert doc.title == "Deploy guide"
    assert doc.tags == ("Ops", "release notes", "guides")
    assert doc.metadata["front_matter"] == {"owner": "platform"}
    assert doc.text == (
        "Deploying\n\nRun make deploy with --prod; see the wiki and diagram.\n\nQuoted tip.\n\nmake deploy\n\n"
        "| a | b |\n| 1 | 2 |"
    )


def test_md_without_front_matter_is_titled_by_its_first_heading() -> None:
    doc = parse_document("x.md", b"Intro line.\n\n## Second level\n\ntext\n\n# Not first\n")
    assert doc.title == "Second level"
    assert doc.tags == ()


def test_md_inline_tag_list_and_keywords() -> None:
    doc = parse_document("x.md", b"---\nkeywords: alpha, beta\n---\nBody text.\n")
    assert doc.tags == ("alpha", "beta")


def test_html_keeps_visible_text_only() -> None:
    data = (
        b"<!doctype html><html lang='de'><head><title>Release &amp; notes</title>"
        b"<meta name='keywords' content='releases, Changelog'><script>alert('SCRIPT')</script>"
        b"<style>.x{color:red}</style></head><body onload=\"alert('ONLOAD')\"><h1>Heading</h1>"
        b'<p onclick="steal()">First <b>bold</b> paragraph.</p><noscript>NOSCRIPT</noscript>'
        b"<ul><li>one<li>two</ul><table><tr><td>a<td>b</tr></table><p>1 &lt; 2 &amp;&amp; x<y</p>"
        b"<template>TEMPLATE</template><!-- COMMENT --></body></html>"
    )
    doc = parse_document("site/releases.html", data)
    assert doc.format == "html"
    assert doc.title == "Release & notes"
    assert doc.tags == ("releases", "Changelog", "site")
    assert doc.metadata["lang"] == "de"
    assert doc.text == "Heading\n\nFirst bold paragraph.\n\none\ntwo\n\na b\n\n1 < 2 && x<y"


def test_html_title_falls_back_to_the_first_h1() -> None:
    doc = parse_document("x.htm", b"<body><h1>Only <i>heading</i></h1><p>text</p><h1>second</h1></body>")
    assert doc.title == "Only heading"


def test_json_is_flattened_to_path_value_lines() -> None:
    value = {"title": "Catalog", "tags": ["api", "v2"], "owner": None, "items": [{"name": "a", "n": 1}, {"ok": True}]}
    doc = parse_document("api/catalog.json", json.dumps(value).encode())
    assert doc.format == "json"
    assert doc.title == "Catalog"
    assert doc.tags == ("api", "v2")
    assert doc.text == "title: Catalog\ntags[0]: api\ntags[1]: v2\nitems[0].name: a\nitems[0].n: 1\nitems[1].ok: true"


def test_json_top_level_scalar_and_keyword_string() -> None:
    assert parse_document("x.json", b'"just a string"').text == "just a string"
    assert parse_document("x.json", b'{"keywords": "a, b", "x": 1}').tags == ("a", "b")


def test_pdf_text_and_info_title_are_extracted() -> None:
    doc = parse_document("memos/m.pdf", multi_page_pdf([["Page one (first)."], ["Page two \\ second."]], title="Memo"))
    assert doc.format == "pdf"
    assert doc.title == "Memo"
    assert doc.text == "Page one (first).\n\nPage two \\ second."
    assert doc.metadata["pages"] == 2
    assert doc.metadata["pages_extracted"] == 2
    assert doc.tags == ("memos",)


def test_pdf_pages_beyond_the_limit_are_skipped_and_flagged() -> None:
    doc = parse_document("m.pdf", multi_page_pdf([["one"], ["two"], ["three"]]), limits=ParseLimits(max_pdf_pages=2))
    assert doc.text == "one\n\ntwo"
    assert doc.metadata["truncated"] is True
    assert (doc.metadata["pages"], doc.metadata["pages_extracted"]) == (3, 2)


@pytest.mark.parametrize(
    ("key", "data", "fmt"),
    [
        ("README", b"Plain words without an extension.", "txt"),
        ("page.xyz", b"<!DOCTYPE html><p>Sniffed page</p>", "html"),
        ("data.unknown", b'  {"a": "sniffed json"}', "json"),
        ("broken.unknown", b'{"a": broken', "txt"),
        ("scan", text_pdf(["Found by signature."]), "pdf"),
    ],
)
def test_unknown_extensions_are_sniffed(key: str, data: bytes, fmt: str) -> None:
    doc = parse_document(key, data)
    assert doc.format == fmt
    assert doc.metadata["sniffed"] is True


# ---------------------------------------------------------------------------------------------------------------------
# decoding


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        ("naïve ☃".encode(), "utf-8", "naïve ☃"),
        (codecs.BOM_UTF8 + "naïve".encode(), "utf-8-sig", "naïve"),
        (codecs.BOM_UTF16_LE + "naïve ☃".encode("utf-16-le"), "utf-16", "naïve ☃"),
        (codecs.BOM_UTF16_BE + "naïve ☃".encode("utf-16-be"), "utf-16", "naïve ☃"),
        (codecs.BOM_UTF32_LE + "naïve".encode("utf-32-le"), "utf-32", "naïve"),
        ("café “quoted” – ok".encode("cp1252"), "cp1252", "café “quoted” – ok"),
        ("utf-8 ✓\n".encode() + "cp1252 é".encode("cp1252"), "utf-8+cp1252", "utf-8 ✓\ncp1252 é"),
    ],
)
def test_text_encodings_are_detected_and_recorded(data: bytes, encoding: str, text: str) -> None:
    doc = parse_document("x.txt", data)
    assert doc.metadata["encoding"] == encoding
    assert doc.text == text


def test_normalize_text_removes_controls_and_collapses_space() -> None:
    raw = "\ufeff a\x00b\x1b[31mred\x1b[0m\x07 \u00a0\u2003 c \r\n\r\n\r\n\x0cd\ud800 e\u0301"
    assert normalize_text(raw) == "abred c\n\nd\ufffd é"


def test_text_over_max_chars_is_cut_and_flagged() -> None:
    doc = parse_document("x.txt", b"word " * 100, limits=ParseLimits(max_chars=42))
    assert doc.text == ("word " * 8).strip()
    assert doc.metadata["truncated"] is True


def test_a_single_word_over_max_chars_is_cut_inside_the_word() -> None:
    assert parse_document("x.txt", b"x" * 100, limits=ParseLimits(max_chars=42)).text == "x" * 42


def test_json_over_max_chars_stops_flattening() -> None:
    doc = parse_document("x.json", json.dumps(list(range(1000))).encode(), limits=ParseLimits(max_chars=20))
    assert doc.metadata["truncated"] is True
    assert len(doc.text) <= 20


# ---------------------------------------------------------------------------------------------------------------------
# outputs


def test_parsing_is_deterministic() -> None:
    data = b"---\ntags: [x]\n---\n# T\n\nbody"
    assert parse_document("a/b.md", data) == parse_document("a/b.md", data)


def test_content_hash_covers_title_tags_and_text_but_not_the_source_bytes() -> None:
    base = parse_document("a/x.md", b"# Title\n\nBody.")
    assert parse_document("a/x.md", b"# Title\n\nBody.\n\n\n").content_hash == base.content_hash
    assert parse_document("b/x.md", b"# Title\n\nBody.").content_hash != base.content_hash
    assert parse_document("a/x.md", b"# Other\n\nBody.").content_hash != base.content_hash
    assert (
        base.metadata["source_sha256"] != parse_document("a/x.md", b"# Title\n\nBody.\n\n\n").metadata["source_sha256"]
    )


def test_tags_are_unique_by_slug_and_capped() -> None:
    data = b"---\ntags: [Data Types, data_types, '!!!', " + b", ".join(b"t%d" % i for i in range(40)) + b"]\n---\nx"
    doc = parse_document("data-types/x.md", data, limits=ParseLimits(max_tags=5))
    assert doc.tags == ("Data Types", "t0", "t1", "t2", "t3")


def test_title_falls_back_to_the_key_stem() -> None:
    long_first_line = b"the first line is prose much longer than a title could be " * 4
    assert parse_document("docs/release_notes-2026.txt", long_first_line).title == "release notes 2026"


# ---------------------------------------------------------------------------------------------------------------------
# quarantine reasons, with exact messages


def test_quarantined_document_is_a_terminal_error_that_survives_pickling() -> None:
    error = QuarantinedDocument("binary", "not text")
    assert isinstance(error, TerminalError)
    assert str(error) == "binary: not text"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason_code, copy.reason) == ("binary", "not text")


@pytest.mark.parametrize(
    ("key", "data", "limits", "code", "reason"),
    [
        ("x.txt", b"", DEFAULT_LIMITS, "empty", "the object is 0 bytes"),
        ("x.md", b" \n\t\r\n", DEFAULT_LIMITS, "empty", "the object contains only whitespace"),
        (
            "x.txt",
            b"x" * 11,
            ParseLimits(max_bytes=10),
            "too_large",
            "the object is 11 bytes, over the limit of 10 bytes; split it or raise ParseLimits.max_bytes",
        ),
        (
            "x.html",
            b"<p>" + b"x" * 20 + b"</p>",
            ParseLimits(max_html_chars=10),
            "too_large",
            "the HTML has 27 characters, over the limit of 10; split it or raise ParseLimits.max_html_chars",
        ),
        ("x.txt", b"\x89PNG\r\n\x1a\n" + b"x" * 20, DEFAULT_LIMITS, "binary", "the content is PNG data, not txt text"),
        (
            "x.txt",
            b"ab\x00\x01" * 10,
            DEFAULT_LIMITS,
            "binary",
            "20 of 40 characters are control characters or NUL; this is binary data, not txt text",
        ),
        (
            "x.md",
            b"ok \xc3\x28 \x81",
            DEFAULT_LIMITS,
            "invalid_encoding",
            "the bytes are not UTF-8 (first invalid byte at offset 3) and do not read as cp1252 text; "
            "re-save the file as UTF-8",
        ),
        (
            "x.json",
            b"[" * 65 + b"]" * 65,
            DEFAULT_LIMITS,
            "json_too_deep",
            "JSON nesting depth is 65, over the limit of 64; flatten the document",
        ),
        ("x.json", b'{"a": }', DEFAULT_LIMITS, "invalid_json", "invalid JSON at line 1 column 7: Expecting value"),
        ("x.json", b"{}", DEFAULT_LIMITS, "no_text", "the json document contains no extractable text"),
        (
            "x.html",
            b"<script>x()</script>",
            DEFAULT_LIMITS,
            "no_text",
            "the html document contains no extractable text",
        ),
        (
            "x.docx",
            b"PK\x03\x04rest",
            DEFAULT_LIMITS,
            "unsupported_type",
            "extension .docx is not supported and the content is not recognizable text; "
            "supported: .txt .md .html .json .pdf",
        ),
        (
            "blob",
            bytes(range(256)) * 4,
            DEFAULT_LIMITS,
            "unsupported_type",
            "extension (none) is not supported and the content is not recognizable text; "
            "supported: .txt .md .html .json .pdf",
        ),
    ],
)
def test_each_reason_code_and_message(key: str, data: bytes, limits: ParseLimits, code: str, reason: str) -> None:
    error = quarantined(key, data, limits)
    assert (error.reason_code, error.reason) == (code, reason)


def test_json_depth_is_measured_without_recursion_and_ignores_strings() -> None:
    assert json_depth("[" * 100_000) == 100_000
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "]]]"}]}') == 3
    assert json_depth('"\\"[[[["') == 0


def test_encrypted_pdf_is_quarantined() -> None:
    error = quarantined("x.pdf", encrypted_pdf())
    assert (error.reason_code, error.reason) == (
        "encrypted_pdf",
        "the PDF is encrypted; upload a copy without password protection",
    )


def test_pdf_that_is_not_a_pdf_is_unparseable() -> None:
    error = quarantined("x.pdf", b"plain text pretending")
    assert error.reason_code == "unparseable_pdf"
    assert error.reason.startswith("the PDF could not be read (")


def test_pdf_extraction_is_stopped_at_the_deadline() -> None:
    started = time.monotonic()
    error = quarantined("x.pdf", text_pdf(["slow"]), ParseLimits(pdf_timeout_s=0.01))
    assert (error.reason_code, error.reason) == (
        "pdf_too_complex",
        "PDF text extraction took longer than 0.01 s and was stopped",
    )
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------------------------------------------------------------
# object keys


@pytest.mark.parametrize("prefix", ["acme", "acme/", "/acme/"])
def test_validate_object_key_returns_the_tenant_relative_key(prefix: str) -> None:
    assert validate_object_key("acme/reference/text/re.md", prefix) == "reference/text/re.md"


def test_validate_object_key_with_an_empty_prefix_keeps_the_key() -> None:
    assert validate_object_key("reference/re.md", "") == "reference/re.md"


def test_percent_signs_and_dots_inside_names_are_fine() -> None:
    assert validate_object_key("acme/100%25 done/v1.2..final.txt", "acme") == "100%25 done/v1.2..final.txt"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("globex/x.txt", "is outside the tenant prefix 'acme/'"),
        ("acmeevil/x.txt", "is outside the tenant prefix 'acme/'"),
        ("acme", "is outside the tenant prefix 'acme/'"),
        ("", "is empty"),
        ("/acme/x.txt", "is an absolute path"),
        ("acme/../globex/x.txt", "has a '.' or '..' segment"),
        ("acme/%2e%2e/globex/x.txt", "has a '.' or '..' segment"),
        ("acme/%252E%252E/globex/x.txt", "has a '.' or '..' segment"),
        ("acme/a\\b.txt", "contains a backslash"),
        ("acme/a%5Cb.txt", "contains a backslash"),
        ("acme//x.txt", "has an empty segment (// or a trailing /)"),
        ("acme/dir/", "has an empty segment (// or a trailing /)"),
        ("acme/a\x00.txt", "contains a control or invisible formatting character"),
        ("acme/a%0a.txt", "contains a control or invisible formatting character"),
        ("acme/\u2066x.txt", "contains a control or invisible formatting character"),
        ("acme/%25252525252e", "is percent-encoded too many times"),
        ("acme/" + "x" * 1020, "is longer than 1024 bytes"),
    ],
)
def test_validate_object_key_refuses_escapes(key: str, problem: str) -> None:
    with pytest.raises(QuarantinedDocument) as error:
        validate_object_key(key, "acme")
    assert (error.value.reason_code, error.value.reason) == ("unsafe_key", f"object key {key!r} {problem}")


def test_validate_object_key_refuses_an_unsafe_prefix() -> None:
    with pytest.raises(ValueError) as error:
        validate_object_key("x", "../acme")
    assert str(error.value) == "tenant prefix '../acme' is not a safe key prefix"


# ---------------------------------------------------------------------------------------------------------------------
# the hostile corpus

HOSTILE = build_hostile_corpus()
TEXT_BOUND_S = 20.0  # loose: the machines are noisy; linear work on 20 MB takes about 3 s here
PDF_BOUND_S = DEFAULT_LIMITS.pdf_timeout_s + 10.0


def test_the_hostile_corpus_is_large_and_covers_every_reason() -> None:
    assert len(HOSTILE) >= 50
    expected = {outcome for _, _, outcome in HOSTILE}
    assert expected >= {
        "ingest",
        *(
            f"quarantine:{code}"
            for code in (
                "empty", "too_large", "binary", "invalid_encoding", "unparseable_pdf", "pdf_too_complex",
                "encrypted_pdf", "json_too_deep", "invalid_json", "unsupported_type", "no_text", "unsafe_key",
            )
        ),
    }  # fmt: skip
    assert sum(1 for key, _, _ in HOSTILE if key in UNSAFE_KEYS) == len(UNSAFE_KEYS)


def outcome_of(key: str, data: bytes) -> str:
    """What the pipeline does with one object; ingested text is checked for leftovers on the way."""
    try:
        doc = parse_document(validate_object_key(f"{TENANT}/{key}", TENANT), data, pdf_reader=sandboxed_pdf)
    except QuarantinedDocument as error:
        return f"quarantine:{error.reason_code}"
    assert doc.text == doc.text.strip()
    assert "\x00" not in doc.text and "\r" not in doc.text
    assert len(doc.text) <= DEFAULT_LIMITS.max_chars
    doc.text.encode("utf-8")  # no lone surrogates survive
    return "ingest"


@pytest.mark.parametrize(("key", "data", "expected"), HOSTILE, ids=[repr(key)[1:-1][:60] for key, _, _ in HOSTILE])
def test_hostile_document_reaches_its_expected_outcome_in_bounded_time(key: str, data: bytes, expected: str) -> None:
    started = time.monotonic()
    assert outcome_of(key, data) == expected
    bound = PDF_BOUND_S if key.endswith(".pdf") or data.startswith(b"%PDF") else TEXT_BOUND_S
    assert time.monotonic() - started < bound


def test_hostile_html_never_leaks_script_or_handler_text() -> None:
    data = dict((key, data) for key, data, _ in HOSTILE)["hostile/html-scripts-and-handlers.html"]
    doc = parse_document("hostile/html-scripts-and-handlers.html", data)
    assert doc.text == "Visible paragraph.\nlink text"
    assert doc.title == "Handlers"
