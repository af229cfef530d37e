"""Bytes of one source object -> normalized text, title and tags; anything unusable raises QuarantinedDocument.

Every limit that bounds work on hostile input lives in ParseLimits. PDF extraction runs in a child process with a
wall-clock timeout and an address-space cap, because a malformed PDF can otherwise keep a worker busy for minutes.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from glyph_core.errors import QuarantinedDocument
from glyph_core.ids import content_hash, tag_slug
from glyph_core.models import ParsedDocument


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Upper bounds on what one document may cost; the defaults suit documents of up to a few hundred pages."""

    max_bytes: int = 20 * 1024 * 1024
    max_chars: int = 2_000_000
    max_html_chars: int = 5_000_000
    max_json_depth: int = 64
    max_pdf_pages: int = 500
    pdf_timeout_s: float = 20.0
    pdf_max_memory_bytes: int = 1024 * 1024 * 1024
    max_control_share: float = 0.05
    max_tags: int = 32


DEFAULT_LIMITS = ParseLimits()

FORMAT_BY_EXTENSION: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".pdf": "pdf",
}

MAX_TITLE_CHARS = 300
MAX_TAG_CHARS = 64
MAX_KEY_BYTES = 1024

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\x7fELF", "ELF"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"Rar!\x1a\x07", "RAR"),
)
# Byte order marks, longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_CONTROL_CHARS = "".join(chr(c) for c in [*range(0, 9), *range(14, 32), *range(127, 160)])
# Controls vanish, form feed and vertical tab become line breaks, a stray BOM inside the text vanishes.
_CLEAN_TABLE: dict[int, str | None] = {
    **{ord(c): None for c in _CONTROL_CHARS},
    0x0B: "\n",
    0x0C: "\n",
    0xFEFF: None,
}
_COUNT_CONTROLS: dict[int, None] = {ord(c): None for c in _CONTROL_CHARS}
_MAX_FALLBACK_NON_ASCII_SHARE = 0.3

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_HSPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


# ---------------------------------------------------------------------------------------------------------------------
# public API


def parse_document(key: str, data: bytes, *, limits: ParseLimits = DEFAULT_LIMITS,
                   pdf_reader: PdfTextReader | None = None) -> ParsedDocument:
    """Extract the text of one object; raises QuarantinedDocument (never anything else for bad input).

    `key` is the tenant-relative object key (see validate_object_key): its extension picks the format (unknown
    extensions are sniffed) and its folders become tags. The result is deterministic for the same key and bytes.
    `pdf_reader` reads PDFs (default: read_pdf in this process; the pipeline passes a sandboxed one).
    """
    pdf_reader = pdf_reader or read_pdf
    if len(data) > limits.max_bytes:
        raise QuarantinedDocument(
            "too_large",
            f"the object is {len(data)} bytes, over the limit of {limits.max_bytes} bytes; "
            "split it or raise ParseLimits.max_bytes",
        )
    if not data.strip():
        raise QuarantinedDocument(
            "empty", "the object is 0 bytes" if not data else "the object contains only whitespace"
        )

    fmt, decoded, encoding = _detect(key, data, limits)
    extracted = pdf_reader(data, limits) if decoded is None else _EXTRACTORS[fmt](decoded, limits)
    if encoding is not None:
        extracted.metadata["encoding"] = encoding
    if FORMAT_BY_EXTENSION.get(PurePosixPath(key).suffix.lower()) is None:
        extracted.metadata["sniffed"] = True

    text = normalize_text(extracted.text)
    truncated = extracted.truncated
    if len(text) > limits.max_chars:
        text = _cut(text, limits.max_chars)
        truncated = True
    if not text:
        raise QuarantinedDocument("no_text", f"the {fmt} document contains no extractable text")
    problem = implausible_text(text)
    if problem is not None:
        raise QuarantinedDocument("not_text", f"the {fmt} content does not read as text: {problem}")

    title = _clean_title(extracted.title) or _first_line_title(text) or _title_from_key(key)
    tags = _merge_tags(extracted.tags, key, limits.max_tags)
    metadata: dict[str, Any] = {
        **extracted.metadata,
        "truncated": truncated,
        "source_bytes": len(data),
        "source_sha256": content_hash(data),
        "chars": len(text),
    }
    digest = content_hash(
        json.dumps(
            {"format": fmt, "title": title, "tags": list(tags), "text": text}, ensure_ascii=False, sort_keys=True
        )
    )
    return ParsedDocument(
        key=key, title=title, text=text, format=fmt, content_hash=digest, metadata=metadata, tags=tags
    )


def implausible_text(text: str, sample_chars: int = 200_000) -> str | None:
    """Why decoded `text` is not a document (random bytes, encoded or compressed data), or None when it reads as text.

    Decided by content, never by extension, on up to `sample_chars` characters from the start, middle and end:
    symbol soup (under a quarter of the visible characters are letters or digits); no word structure in a script
    that separates words by spaces (median whitespace-separated token over 25 characters: random printable bytes);
    or almost everything (90 %) in space-free runs of over 100 characters (base64) or in runs of over 100 letters
    and digits (hex dumps), which the model reads as one [UNK] each.
    Scripts written without spaces (CJK, Thai, ...) are judged by the first rule only.
    """
    if len(text) > sample_chars:
        third = sample_chars // 3
        middle = len(text) // 2 - third // 2
        text = text[:third] + " " + text[middle : middle + third] + " " + text[-third:]
    visible = [c for c in text if not c.isspace()]
    if len(visible) < 64:
        return None
    alnum = sum(1 for c in visible if c.isalnum())
    if alnum < 0.25 * len(visible):
        return f"only {alnum / len(visible):.0%} of its visible characters are letters or digits"
    if sum(1 for c in visible if _unspaced_script(c)) > 0.3 * len(visible):
        return None
    tokens = sorted(len(t) for t in text.split())
    median = tokens[len(tokens) // 2]
    if len(tokens) >= 16 and median > 25:
        return f"its words are {median} characters long (median): encoded or random data, not prose"
    in_long_words = sum(n for n in tokens if n > 100)
    if in_long_words >= 0.9 * len(visible):
        return f"{in_long_words / len(visible):.0%} of it is in space-free runs of over 100 characters (encoded data?)"
    in_runs = sum(len(run) for run in _LONG_RUN.findall(text))
    if in_runs >= 0.9 * len(visible):
        return f"{in_runs / len(visible):.0%} of it is in runs of over 100 letters or digits (encoded data?)"
    return None


_LONG_RUN = re.compile(r"[^\W_]{101,}")
_UNSPACED_SCRIPTS = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF),
                     (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))


def _unspaced_script(char: str) -> bool:
    """Thai, Lao, Myanmar, Khmer, kana, CJK ideographs, Hangul: scripts whose words are not space-separated."""
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED_SCRIPTS)


def validate_object_key(key: str, tenant_prefix: str) -> str:
    """Return `key` relative to `tenant_prefix`, or raise QuarantinedDocument('unsafe_key').

    Refuses every spelling that could resolve outside the prefix somewhere down the line (S3 servers, local
    mirrors, URL decoding): `.`/`..` segments (also percent-encoded or full-width), absolute paths, backslashes,
    empty segments, control characters and keys under another prefix. `tenant_prefix` may end with `/` or not.
    """
    prefix = tenant_prefix.strip("/")
    if prefix and _key_problem(prefix) is not None:
        raise ValueError(f"tenant prefix {tenant_prefix!r} is not a safe key prefix")
    problem = _key_problem(key)
    if problem is None and prefix and not key.startswith(prefix + "/"):
        problem = f"is outside the tenant prefix '{prefix}/'"
    if problem is not None:
        raise QuarantinedDocument("unsafe_key", f"object key {key!r} {problem}")
    return key[len(prefix) + 1 :] if prefix else key


def normalize_text(text: str) -> str:
    """NFC, no control characters, NULs or terminal colour codes, lone surrogates (from JSON escapes) replaced,
    single spaces, at most one blank line in a row, no outer whitespace."""
    text = _ANSI_ESCAPE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SURROGATE.sub("\ufffd", text.translate(_CLEAN_TABLE))
    text = unicodedata.normalize("NFC", text)
    text = _HSPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


# ---------------------------------------------------------------------------------------------------------------------
# format detection and decoding


@dataclass(slots=True)
class Extracted:
    text: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False


def _detect(key: str, data: bytes, limits: ParseLimits) -> tuple[str, str | None, str | None]:
    """(format, decoded text or None for PDF, encoding); unknown extensions are decided by the content."""
    fmt = FORMAT_BY_EXTENSION.get(PurePosixPath(key).suffix.lower())
    if fmt == "pdf":
        return fmt, None, None
    if fmt is not None:
        text, encoding = _decode(data, fmt, limits)
        return fmt, text, encoding
    if data.startswith(b"%PDF-"):
        return "pdf", None, None
    extension = PurePosixPath(key).suffix.lower() or "(none)"
    unsupported = QuarantinedDocument(
        "unsupported_type",
        f"extension {extension} is not supported and the content is not recognizable text; "
        "supported: .txt .md .html .json .pdf",
    )
    if _binary_kind(data) is not None:
        raise unsupported
    try:
        text, encoding = _decode(data, "text", limits)
    except QuarantinedDocument as exc:
        raise unsupported from exc
    head = text.lstrip()[:512].lower()
    if head.startswith(("<!doctype html", "<html")):
        return "html", text, encoding
    if head[:1] in ("{", "[") and _is_json(text, limits):
        return "json", text, encoding
    return "txt", text, encoding


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _decode(data: bytes, fmt: str, limits: ParseLimits) -> tuple[str, str]:
    """Decode text bytes: BOM-marked UTF-8/16/32, else UTF-8, else cp1252 line by line when that reads as text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            _reject_controls(len(text) - len(text.translate(_COUNT_CONTROLS)), len(text), fmt, limits)
            return _unify_newlines(text), codec
    kind = _binary_kind(data)
    if kind is not None:
        raise QuarantinedDocument("binary", f"the content is {kind} data, not {fmt} text")
    _reject_controls(len(data) - len(data.translate(None, _CONTROL_BYTES)), len(data), fmt, limits)
    try:
        return _unify_newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    return _decode_mixed(data, first_bad)


def _reject_controls(controls: int, total: int, fmt: str, limits: ParseLimits) -> None:
    if total and controls / total > limits.max_control_share:
        raise QuarantinedDocument(
            "binary",
            f"{controls} of {total} characters are control characters or NUL; this is binary data, not {fmt} text",
        )


def _decode_mixed(data: bytes, first_bad: int) -> tuple[str, str]:
    """Lines that are not UTF-8 are read as cp1252 (what legacy Windows editors write); mixed files are common."""
    invalid = QuarantinedDocument(
        "invalid_encoding",
        f"the bytes are not UTF-8 (first invalid byte at offset {first_bad}) and do not read as cp1252 text; "
        "re-save the file as UTF-8",
    )
    lines: list[str] = []
    utf8_non_ascii = False
    fallback_chars = 0
    fallback_non_ascii = 0
    for raw in data.split(b"\n"):
        try:
            line = raw.decode("utf-8")
            utf8_non_ascii = utf8_non_ascii or not line.isascii()
        except UnicodeDecodeError:
            try:
                line = raw.decode("cp1252")
            except UnicodeDecodeError:
                raise invalid from None
            fallback_chars += len(line)
            fallback_non_ascii += len(line) - len(line.encode("ascii", "ignore"))
        lines.append(line)
    if fallback_non_ascii > _MAX_FALLBACK_NON_ASCII_SHARE * fallback_chars:
        raise invalid
    return _unify_newlines("\n".join(lines)), "utf-8+cp1252" if utf8_non_ascii else "cp1252"


def _unify_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------------------------------
# text and markdown

_FENCE = re.compile(r"^ {0,3}(```|~~~).*$\n?", re.MULTILINE)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^ {0,3}(?:[-=*_][ \t]*){3,}$\n?", re.MULTILINE)
_TABLE_RULE = re.compile(r"^ *\|?(?: *:?-{2,}:? *\|)+ *:?-*:? *$\n?", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]+\S+.*$\n?", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?", re.MULTILINE)
_EMPHASIS = re.compile(r"\*\*|__|`")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_MAX_CHARS = 64 * 1024


def _extract_txt(text: str, limits: ParseLimits) -> Extracted:
    return Extracted(text=text)


def _extract_md(text: str, limits: ParseLimits) -> Extracted:
    """Markup is stripped lightly: the words stay, link targets and emphasis marks go."""
    front, body = _split_front_matter(text)
    heading = _HEADING.search(body)
    front_title = front.get("title")
    title = front_title if isinstance(front_title, str) else None
    if title is None and heading is not None:
        title = heading.group(1)
    raw_tags = front.get("tags", front.get("keywords", []))
    tags = _as_tag_list(raw_tags)
    body = _DATA_URI.sub("", body)
    body = _FENCE.sub("", body)
    body = _HEADING.sub(r"\1", body)
    body = _TABLE_RULE.sub("", body)
    body = _RULE.sub("", body)
    body = _REF_DEF.sub("", body)
    body = _IMAGE.sub(r"\1", body)
    body = _LINK.sub(r"\1", body)
    body = _AUTOLINK.sub(r"\1", body)
    body = _HTML_TAG.sub("", body)
    body = _QUOTE.sub("", body)
    body = _EMPHASIS.sub("", body)
    metadata: dict[str, Any] = {}
    scalars = {k: v for k, v in front.items() if isinstance(v, str) and k != "title"}
    if scalars:
        metadata["front_matter"] = scalars
    return Extracted(text=body, title=title, tags=tags, metadata=metadata)


def _split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """A leading `---` block of `key: value` lines; only flat scalars and lists (tags) are understood."""
    match = _FRONT_MATTER.match(text[:_FRONT_MATTER_MAX_CHARS])
    if match is None:
        return {}, text
    values: dict[str, str | list[str]] = {}
    current: str | None = None
    for line in match.group(1).split("\n"):
        item = re.match(r"^\s+-\s+(.*)$", line)
        if item is not None and current is not None:
            existing = values.get(current)
            values[current] = [*(existing if isinstance(existing, list) else []), _unquote(item.group(1))]
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if pair is None:
            current = None
            continue
        current, value = pair.group(1).lower(), pair.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            values[current] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            values[current] = _unquote(value)
        else:
            values[current] = []
    return values, text[match.end() :]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _as_tag_list(raw: object) -> list[str]:
    if isinstance(raw, str):
        return [t for t in (part.strip() for part in raw.split(",")) if t]
    if isinstance(raw, list):
        return [t.strip() for t in raw if isinstance(t, str) and t.strip()]
    return []


# ---------------------------------------------------------------------------------------------------------------------
# html

# Elements whose content is never visible text. script/style are raw-text in the tokenizer; the others are counted.
_DROPPED_HTML = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "canvas", "select"}
)
# Paragraph-like elements are set apart by blank lines, line-like ones end a line, cells are spaced.
_BLOCK_HTML = frozenset({
    "address", "article", "aside", "blockquote", "body", "div", "dl", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
})  # fmt: skip
_LINE_HTML = frozenset({"br", "caption", "dd", "dt", "li", "tr"})
_CELL_HTML = frozenset({"td", "th"})
# A "<" whose next "<" comes before any ">" cannot open a tag. Python 3.11's tokenizer rescans the rest of the input
# for each of them (400 kB of "<a" took over 5 minutes), so they are escaped first; the scan is linear.
_STRAY_LT = re.compile(r"<(?=[^<>]*(?:<|\Z))")


class _HtmlText(HTMLParser):
    """Streaming visible-text extraction on the stdlib tokenizer: linear time, no tree kept in memory.

    BeautifulSoup on the same tokenizer builds a tree first, which was about 4x slower here, and the edits needed
    to mark block boundaries in that tree grew quadratically with the number of sibling elements.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self.tags: list[str] = []
        self.lang: str | None = None
        self._skip = 0
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_HTML:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        elif tag == "meta":
            values = {name: value or "" for name, value in attrs}
            if values.get("name", "").lower() in ("keywords", "tags"):
                self.tags.extend(_as_tag_list(values.get("content", "")))
        elif tag == "html" and self.lang is None:
            self.lang = next((value for name, value in attrs if name == "lang" and value), None)
        if tag in _BLOCK_HTML or tag in _LINE_HTML:  # on both sides: end tags of li, td, p... are optional
            self.parts.append("\n")
        elif tag in _CELL_HTML:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _DROPPED_HTML:  # <svg/> is empty: nothing to skip
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_HTML:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "h1" and self._in_h1:
            self._in_h1 = False
            self._h1_done = True
        if tag in _BLOCK_HTML or tag in _LINE_HTML:
            self.parts.append("\n")
        elif tag in _CELL_HTML:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip or self.cdata_elem is not None:
            return
        if self._in_title:
            self.title.append(data)
            return
        if self._in_h1:
            self.h1.append(data)
        self.parts.append(data)


def _extract_html(text: str, limits: ParseLimits) -> Extracted:
    """Visible text only: script, style and other non-content elements are skipped; event handlers never run."""
    if len(text) > limits.max_html_chars:
        raise QuarantinedDocument(
            "too_large",
            f"the HTML has {len(text)} characters, over the limit of {limits.max_html_chars}; "
            "split it or raise ParseLimits.max_html_chars",
        )
    parser = _HtmlText()
    parser.feed(_STRAY_LT.sub("&lt;", text))
    parser.close()
    title = "".join(parser.title).strip() or "".join(parser.h1).strip() or None
    metadata: dict[str, Any] = {"lang": parser.lang} if parser.lang else {}
    return Extracted(text="".join(parser.parts), title=title, tags=parser.tags, metadata=metadata)


# ---------------------------------------------------------------------------------------------------------------------
# json


def json_depth(text: str) -> int:
    """Deepest bracket nesting of JSON text, counted without parsing (strings are skipped).

    Runs before json.loads so that a 10,000-level document is refused instead of hitting the recursion limit.
    """
    import numpy as np  # deferred: the PDF child process imports this module and never needs numpy

    skeleton = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass")
    raw = np.frombuffer(skeleton, dtype=np.uint8)
    opens = (raw == ord("[")) | (raw == ord("{"))
    brackets = opens | (raw == ord("]")) | (raw == ord("}"))
    steps = np.where(opens[brackets], 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def _is_json(text: str, limits: ParseLimits) -> bool:
    try:
        _load_json(text, limits)
    except QuarantinedDocument:
        return False
    return True


def _load_json(text: str, limits: ParseLimits) -> object:
    depth = json_depth(text)
    if depth > limits.max_json_depth:
        raise QuarantinedDocument(
            "json_too_deep",
            f"JSON nesting depth is {depth}, over the limit of {limits.max_json_depth}; flatten the document",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuarantinedDocument(
            "invalid_json", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise QuarantinedDocument("invalid_json", f"invalid JSON: {exc}") from None


def _extract_json(text: str, limits: ParseLimits) -> Extracted:
    """One `path: value` line per scalar, in document order; stops once max_chars is reached."""
    value = _load_json(text, limits)
    lines, truncated = _flatten_json(value, limits.max_chars)
    title: str | None = None
    tags: list[str] = []
    if isinstance(value, dict):
        for name in ("title", "name"):
            if isinstance(value.get(name), str):
                title = value[name]
                break
        for name in ("tags", "keywords"):
            if name in value:
                tags = _as_tag_list(value[name])
                break
    return Extracted(text="\n".join(lines), title=title, tags=tags, truncated=truncated)


def _flatten_json(value: object, max_chars: int) -> tuple[list[str], bool]:
    lines: list[str] = []
    size = 0
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            children = [(f"{path}.{k}" if path else str(k), v) for k, v in item.items()]
            stack.extend(reversed(children))
            continue
        if isinstance(item, list):
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(item)]))
            continue
        if item is None or item == "":
            continue
        rendered = item if isinstance(item, str) else json.dumps(item)
        line = f"{path}: {rendered}" if path else rendered
        lines.append(line)
        size += len(line) + 1
        if size > max_chars:
            return lines, True
    return lines, False


# ---------------------------------------------------------------------------------------------------------------------
# pdf

PdfTextReader = Callable[[bytes, ParseLimits], "Extracted"]


def read_pdf(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> Extracted:
    """Text of a PDF with pypdf, in this process. Hostile PDFs can take minutes or gigabytes here: the pipeline
    passes glyph_io.pdf_sandbox.sandboxed_pdf instead, which runs the same function in a bounded child process."""
    return pdf_result(read_pdf_pages(data, limits.max_pdf_pages, limits.max_chars))


def pdf_result(result: dict[str, Any]) -> Extracted:
    """The Extracted of read_pdf_pages' result (also what the sandbox's child sends back as JSON)."""
    return Extracted(
        text="\n\n".join(result["pages"]),
        title=result["title"],
        metadata={
            "pages": result["page_count"],
            "pages_extracted": len(result["pages"]),
            "pages_failed": result["pages_failed"],
        },
        truncated=result["truncated"],
    )


def pdf_failure(exc: BaseException) -> QuarantinedDocument:
    """The quarantine reason for an exception raised while reading a PDF."""
    if isinstance(exc, QuarantinedDocument):
        return exc
    if isinstance(exc, MemoryError):
        return QuarantinedDocument("pdf_too_complex", "PDF text extraction ran out of memory")
    if isinstance(exc, RecursionError):
        return QuarantinedDocument("pdf_too_complex", "the PDF structure nests too deeply")
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "no detail"
    return QuarantinedDocument("unparseable_pdf", f"the PDF could not be read ({type(exc).__name__}: {detail})")


def read_pdf_pages(data: bytes, max_pages: int, max_chars: int) -> dict[str, Any]:
    """pages, page_count, title, truncated, pages_failed of a PDF (pypdf); raises QuarantinedDocument."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except LimitReachedError as exc:
        raise QuarantinedDocument("pdf_too_complex", f"the PDF exceeds a reader limit: {exc}") from None
    if encrypted:
        raise QuarantinedDocument("encrypted_pdf", "the PDF is encrypted; upload a copy without password protection")
    try:
        page_count = len(reader.pages)
    except LimitReachedError as exc:
        raise QuarantinedDocument("pdf_too_complex", f"the PDF exceeds a reader limit: {exc}") from None
    pages: list[str] = []
    chars = 0
    failed = 0
    for number in range(min(page_count, max_pages)):
        try:
            text = reader.pages[number].extract_text() or ""
        except LimitReachedError as exc:
            raise QuarantinedDocument("pdf_too_complex", f"page {number + 1} exceeds a reader limit: {exc}") from None
        except (MemoryError, RecursionError):
            raise
        except Exception:
            failed += 1
            continue
        pages.append(text)
        chars += len(text)
        if chars > max_chars:
            break
    if page_count and failed == min(page_count, max_pages):
        raise QuarantinedDocument("unparseable_pdf", f"text extraction failed on all {failed} pages")
    title: str | None = None
    try:
        info = reader.metadata
        title = str(info.title) if info is not None and info.title else None
    except Exception:
        title = None
    return {
        "pages": pages,
        "page_count": page_count,
        "title": title,
        "truncated": len(pages) + failed < page_count,
        "pages_failed": failed,
    }


_EXTRACTORS: dict[str, Callable[[str, ParseLimits], Extracted]] = {
    "txt": _extract_txt,
    "md": _extract_md,
    "html": _extract_html,
    "json": _extract_json,
}


# ---------------------------------------------------------------------------------------------------------------------
# titles, tags, keys


def _cut(text: str, max_chars: int) -> str:
    """At most max_chars, ending at a word end when one lies in the last 200 characters."""
    head = text[: max_chars + 1]
    space = max(head.rfind(" ", max_chars - 200), head.rfind("\n", max_chars - 200))
    return (head[:space] if space > 0 else head[:max_chars]).rstrip()


def _clean_title(title: str | None) -> str:
    if not title:
        return ""
    return " ".join(normalize_text(title).split())[:MAX_TITLE_CHARS]


def _first_line_title(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= 120 else ""


def _title_from_key(key: str) -> str:
    stem = PurePosixPath(key).stem or key
    return " ".join(re.split(r"[-_\s]+", stem)).strip()[:MAX_TITLE_CHARS] or key[:MAX_TITLE_CHARS]


def _merge_tags(content_tags: list[str], key: str, max_tags: int) -> tuple[str, ...]:
    """Content tags first, then the key's folders; one entry per slug, in first-seen order."""
    seen: set[str] = set()
    tags: list[str] = []
    for raw in [*content_tags, *key.split("/")[:-1]]:
        name = " ".join(normalize_text(raw).split())[:MAX_TAG_CHARS]
        try:
            slug = tag_slug(name)
        except ValueError:
            continue
        if slug in seen:
            continue
        seen.add(slug)
        tags.append(name)
        if len(tags) == max_tags:
            break
    return tuple(tags)


def _key_problem(key: str) -> str | None:
    """Why `key` is unsafe, or None; every decoded spelling of the key is checked, not only the raw one."""
    if not key:
        return "is empty"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"is longer than {MAX_KEY_BYTES} bytes"
    spellings = [key]
    for _ in range(4):
        decoded = unquote(spellings[-1])
        if decoded == spellings[-1]:
            break
        spellings.append(decoded)
    else:
        return "is percent-encoded too many times"
    spellings.extend(unicodedata.normalize("NFKC", s) for s in list(spellings))
    for spelling in spellings:
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in spelling):
            return "contains a control or invisible formatting character"
        if "\\" in spelling:
            return "contains a backslash"
        if spelling.startswith("/"):
            return "is an absolute path"
        segments = spelling.split("/")
        if any(segment in (".", "..") for segment in segments):
            return "has a '.' or '..' segment"
        if "" in segments:
            return "has an empty segment (// or a trailing /)"
    return None
