"""Build the sample corpus under samples/corpus/<tenant>/ from redistributable text already on this machine.

Sources (see samples/README.md): docstrings of the CPython standard library and the reference topics that ship with
it in `pydoc_data.topics` (PSF License 2.0), and license texts from /usr/share/common-licenses (verbatim).
No network. Output is deterministic for a given CPython version (docstrings change between versions); the
committed corpus was built with CPython 3.11.7. Run:  .venv/bin/python samples/build_corpus.py
"""

from __future__ import annotations

import codecs
import html
import importlib
import inspect
import io
import json
import re
import shutil
import sys
import textwrap
import warnings
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from pydoc_data.topics import topics as PYDOC_TOPICS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
LICENSES_DIR = Path("/usr/share/common-licenses")
PYTHON_LICENSE = Path(inspect.getfile(inspect)).parent / "LICENSE.txt"
BUILT_WITH = "3.11"
SOURCE_LINE = f"CPython {sys.version.split()[0]} standard library"

MIN_WORDS = 100
MAX_WORDS = 1500


@dataclass(frozen=True)
class Section:
    heading: str
    body: str


@dataclass(frozen=True)
class Doc:
    """One document before rendering: a title, an optional intro, titled sections and content tags."""

    title: str
    intro: str
    sections: tuple[Section, ...]
    tags: tuple[str, ...]
    source: str
    license: str = "PSF-2.0"

    def words(self) -> int:
        return len(self.plain().split())

    def plain(self) -> str:
        parts = [self.title, self.intro, *(f"{s.heading}\n{s.body}" for s in self.sections)]
        return "\n\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------------------------------------
# what goes where: the two tenants get disjoint modules and topics

ACME_MODULES: dict[str, tuple[str, ...]] = {
    "text": ("string", "textwrap", "difflib", "re", "stringprep", "codecs", "unicodedata", "shlex"),
    "data-types": ("datetime", "calendar", "collections", "heapq", "bisect", "array", "weakref", "types", "copy",
                   "pprint", "reprlib", "enum", "graphlib", "dataclasses", "zoneinfo"),
    "numeric": ("numbers", "math", "cmath", "decimal", "fractions", "random", "statistics"),
    "functional": ("itertools", "functools", "operator"),
    "files": ("pathlib", "posixpath", "fileinput", "stat", "filecmp", "tempfile", "glob", "fnmatch", "shutil"),
    "persistence": ("pickle", "copyreg", "shelve", "dbm", "sqlite3"),
    "compression": ("zlib", "gzip", "bz2", "lzma", "zipfile", "tarfile"),
    "formats": ("csv", "configparser", "tomllib", "netrc", "plistlib"),
    "crypto": ("hashlib", "hmac", "secrets"),
    "concurrency": ("threading", "multiprocessing", "concurrent.futures", "subprocess", "sched", "queue",
                    "contextvars"),
    "os-services": ("os", "io", "time", "argparse", "getopt", "logging", "getpass", "platform", "errno"),
}  # fmt: skip
GLOBEX_MODULES: dict[str, tuple[str, ...]] = {
    "networking": ("socket", "ssl", "select", "selectors", "signal", "mmap", "asyncio"),
    "internet-data": ("email", "json", "mailbox", "mimetypes", "base64", "binascii", "quopri"),
    "markup": ("html", "html.parser", "xml.etree.ElementTree", "xml.dom.minidom", "xml.sax"),
    "protocols": ("webbrowser", "urllib.request", "urllib.parse", "http.client", "ftplib", "poplib", "imaplib",
                  "smtplib", "uuid", "socketserver", "http.server", "http.cookies", "xmlrpc.client", "ipaddress"),
    "dev-tools": ("typing", "pydoc", "doctest", "unittest"),
    "debugging": ("bdb", "faulthandler", "pdb", "timeit", "trace", "tracemalloc", "cProfile", "profile"),
    "runtime": ("sys", "sysconfig", "warnings", "contextlib", "abc", "atexit", "traceback", "gc", "inspect", "site"),
    "importing": ("zipimport", "pkgutil", "modulefinder", "runpy", "importlib"),
    "language": ("ast", "symtable", "token", "keyword", "tokenize", "tabnanny", "pyclbr", "py_compile",
                 "compileall", "dis", "pickletools"),
}  # fmt: skip
# Built-in types documented class by class (method docstrings).
ACME_BUILTIN_TYPES = ("str", "bytes", "int", "float", "bytearray", "complex", "memoryview")
GLOBEX_BUILTIN_TYPES = ("dict", "list", "set", "frozenset", "tuple", "range", "object", "slice", "property")

# pydoc reference topics: acme gets the library-reference ones, globex the language-reference ones.
ACME_TOPICS = ("typesseq", "typesseq-mutable", "typesmapping", "string-methods", "formatstrings", "truth",
               "typesfunctions", "typesmethods", "typesmodules", "bltin-code-objects", "bltin-type-objects",
               "bltin-null-object", "bltin-ellipsis-object", "specialattrs", "numeric-types", "sequence-types",
               "context-managers", "callable-types", "customization", "attribute-access", "debugger")  # fmt: skip
GLOBEX_SKIPPED_TOPICS = frozenset({"compound", "specialnames", "else", "types"})  # duplicates of other topics
GLOBEX_TOPIC_GROUPS: dict[str, frozenset[str]] = {
    "statements": frozenset({"assert", "assignment", "augassign", "break", "continue", "del", "for", "global",
                             "if", "import", "nonlocal", "pass", "raise", "return", "try", "while", "with",
                             "yield", "class", "function", "async"}),
    "expressions": frozenset({"atom-identifiers", "atom-literals", "attribute-references", "await", "binary",
                              "bitwise", "booleans", "calls", "comparisons", "conversions", "dict", "exprlists",
                              "in", "lambda", "lists", "operator-summary", "power", "shifting", "slicings",
                              "subscriptions", "unary"}),
    "lexical": frozenset({"floating", "identifiers", "id-classes", "imaginary", "integers", "numbers", "strings"}),
}  # fmt: skip
LICENSE_FILES = ("Apache-2.0", "BSD", "CC0-1.0", "Artistic", "LGPL-3")


# ---------------------------------------------------------------------------------------------------------------------
# reading sources


def stable_number(name: str, modulo: int) -> int:
    return zlib.crc32(name.encode()) % modulo


def clean_doc(doc: object) -> str:
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else ""


_ADDRESS = re.compile(r"<([^<>]+?) at 0x[0-9a-f]+>")


def member_signature(name: str, obj: object) -> str:
    """`name(params)`; sentinel defaults lose their memory address, which would change on every run."""
    try:
        signature = str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return name
    return name + _ADDRESS.sub(r"<\1>", signature)


def public_members(module: object, module_name: str) -> Iterator[tuple[str, object]]:
    """Functions and classes the module defines itself (or re-exports from its C accelerator), by name."""
    exported = getattr(module, "__all__", None)
    for name in sorted(exported if exported is not None else dir(module)):
        if name.startswith("_"):
            continue
        obj = getattr(module, name, None)
        if not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        owner = getattr(obj, "__module__", "") or ""
        if exported is None and owner not in (module_name, "_" + module_name.split(".")[-1]):
            continue
        yield name, obj


def module_title(module_name: str, intro: str) -> str:
    """`name — first sentence of its docstring` when that sentence is short and says more than the name."""
    paragraph = " ".join(intro.split("\n\n", 1)[0].split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph, maxsplit=1)[0].rstrip(".")
    sentence = re.sub(
        rf"^(?:The\s+)?(?:module\s+)?{re.escape(module_name)}\b(?:\.py)?(?:\s+module)?\s*(?:--|—|-|:)?\s*",
        "",
        sentence,
        flags=re.I,
    )
    if 3 <= len(sentence) <= 90 and re.match(r"[A-Za-z]{2}", sentence):
        return f"{module_name} — {sentence[0].upper()}{sentence[1:]}"
    return f"The {module_name} module"


def module_doc(module_name: str, area: str, budget: int) -> Doc | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = importlib.import_module(module_name)
    intro = clean_doc(module.__doc__)
    title = module_title(module_name, intro)
    sections: list[Section] = []
    words = len(intro.split())
    for name, obj in public_members(module, module_name):
        doc = clean_doc(obj.__doc__)
        if not doc or len(doc.split()) < 8:
            continue
        section = Section(member_signature(name, obj), doc)
        size = len(section.body.split()) + len(section.heading.split())
        if words + size > budget:
            if words >= MIN_WORDS:
                break
            continue
        sections.append(section)
        words += size
    doc_ = Doc(
        title, intro, tuple(sections), ("python", "standard library", area), f"{SOURCE_LINE}, module {module_name}"
    )
    return doc_ if MIN_WORDS <= doc_.words() <= MAX_WORDS else None


def builtin_type_doc(type_name: str, budget: int) -> Doc | None:
    cls = getattr(__builtins__, type_name, None) or __import__("builtins").__dict__[type_name]
    intro = clean_doc(cls.__doc__)
    sections: list[Section] = []
    words = len(intro.split())
    for name in sorted(vars(cls)):
        if name.startswith("_"):
            continue
        doc = clean_doc(getattr(cls, name).__doc__)
        if not doc or len(doc.split()) < 5:
            continue
        section = Section(member_signature(f"{type_name}.{name}", getattr(cls, name)), doc)
        size = len(section.body.split()) + len(section.heading.split())
        if words + size > budget:
            break
        sections.append(section)
        words += size
    doc_ = Doc(f"The built-in type {type_name}", intro, tuple(sections), ("python", "built-in types"),
               f"{SOURCE_LINE}, builtins.{type_name}")  # fmt: skip
    return doc_ if MIN_WORDS <= doc_.words() <= MAX_WORDS else None


_UNDERLINE = re.compile(r"^([*=\-~^])\1{2,}$")
_LEVELS = {"*": 1, "=": 2, "-": 3, "~": 4, "^": 4}


def topic_blocks(text: str) -> tuple[str, list[tuple[int, str, list[str]]]]:
    """Split a pydoc topic into its title and (level, heading, lines) sections."""
    lines = text.strip("\n").split("\n")
    title = lines[0].strip()
    sections: list[tuple[int, str, list[str]]] = [(2, "", [])]
    i = 2 if len(lines) > 1 and _UNDERLINE.match(lines[1].strip()) else 1
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        marker = _UNDERLINE.match(underline)
        if line.strip() and marker and len(underline) >= len(line.strip()) - 1:
            sections.append((_LEVELS[marker.group(1)], line.strip(), []))
            i += 2
            continue
        sections[-1][2].append(line)
        i += 1
    return title, [s for s in sections if s[1] or any(x.strip() for x in s[2])]


PART_WORDS = 450
MAX_PARTS = 1


def head_of(text: str, max_words: int) -> str:
    """Whole paragraphs from the start of `text` up to `max_words` words (at least the first paragraph's words)."""
    kept: list[str] = []
    words = 0
    for paragraph in re.split(r"\n\s*\n", text):
        size = len(paragraph.split())
        if kept and words + size > max_words:
            break
        kept.append(paragraph if size <= max_words else " ".join(paragraph.split()[:max_words]))
        words += min(size, max_words)
    return "\n\n".join(kept)


def topic_docs(key: str, tags: tuple[str, ...]) -> list[Doc]:
    """One document per topic; long topics are split at section boundaries, and only the first parts are kept."""
    title, sections = topic_blocks(PYDOC_TOPICS[key])
    parts: list[list[Section]] = [[]]
    words = 0
    for _, heading, lines in sections:
        body = head_of("\n".join(lines).strip("\n"), PART_WORDS)  # an overlong section keeps its beginning
        size = len(body.split()) + len(heading.split())
        if parts[-1] and words + size > PART_WORDS:
            parts.append([])
            words = 0
        parts[-1].append(Section(heading, body))
        words += size
    source = f"{SOURCE_LINE}, pydoc_data.topics['{key}'] (Python documentation)"
    parts = parts[:MAX_PARTS]
    if len(parts) == 1:
        docs = [Doc(title, "", tuple(parts[0]), tags, source)]
    else:
        docs = [Doc(f"{title} (part {n} of {len(parts)})", "", tuple(p), tags, source) for n, p in enumerate(parts, 1)]
    return [d for d in docs if d.words() >= 40]


def class_doc(path: str, area: str, budget: int) -> Doc | None:
    """A class of a standard module: its docstring, then its own public methods' docstrings."""
    module_name, _, class_name = path.rpartition(".")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls = getattr(importlib.import_module(module_name), class_name)
    intro = clean_doc(cls.__doc__)
    sections: list[Section] = []
    words = len(intro.split())
    for name in sorted(vars(cls)):
        if name.startswith("_"):
            continue
        member = vars(cls)[name]
        doc = clean_doc(getattr(member, "__doc__", None))
        if not doc or len(doc.split()) < 6 or doc == intro:
            continue
        section = Section(member_signature(f"{class_name}.{name}", getattr(cls, name, member)), doc)
        size = len(section.body.split()) + len(section.heading.split())
        if words + size > budget:
            continue
        sections.append(section)
        words += size
    doc_ = Doc(f"{path} class", intro, tuple(sections), ("python", "standard library", area, "classes"),
               f"{SOURCE_LINE}, class {path}")  # fmt: skip
    return doc_ if MIN_WORDS <= doc_.words() <= MAX_WORDS else None


ACME_CLASSES: dict[str, tuple[str, ...]] = {
    "data-types": ("datetime.date", "datetime.datetime", "datetime.timedelta", "datetime.timezone",
                   "collections.Counter", "collections.OrderedDict", "collections.ChainMap", "collections.deque",
                   "collections.UserDict", "enum.Enum", "enum.Flag", "weakref.WeakValueDictionary",
                   "calendar.Calendar", "calendar.HTMLCalendar", "graphlib.TopologicalSorter"),
    "numeric": ("decimal.Decimal", "decimal.Context", "fractions.Fraction", "random.Random",
                "statistics.NormalDist"),
    "files": ("pathlib.PurePath", "pathlib.Path", "tempfile.SpooledTemporaryFile", "filecmp.dircmp"),
    "text": ("string.Formatter", "string.Template", "textwrap.TextWrapper", "difflib.SequenceMatcher",
             "difflib.HtmlDiff", "codecs.StreamReader", "shlex.shlex"),
    "formats": ("csv.DictReader", "csv.Sniffer", "configparser.ConfigParser", "configparser.RawConfigParser"),
    "compression": ("zipfile.ZipFile", "zipfile.ZipInfo", "tarfile.TarFile", "tarfile.TarInfo", "gzip.GzipFile"),
    "concurrency": ("threading.Thread", "threading.Condition", "threading.Semaphore", "threading.Event",
                    "threading.Barrier", "subprocess.Popen", "queue.Queue", "concurrent.futures.Future",
                    "concurrent.futures.Executor", "sched.scheduler"),
    "persistence": ("pickle.Pickler", "shelve.Shelf", "sqlite3.Connection"),
    "os-services": ("argparse.ArgumentParser", "logging.Logger", "logging.Handler", "logging.Formatter",
                    "logging.LoggerAdapter", "io.TextIOWrapper", "io.BytesIO", "io.BufferedReader"),
}  # fmt: skip
GLOBEX_CLASSES: dict[str, tuple[str, ...]] = {
    "networking": ("socket.socket", "ssl.SSLContext", "selectors.DefaultSelector", "asyncio.Future",
                   "asyncio.Task", "asyncio.Queue", "asyncio.Event", "asyncio.StreamReader",
                   "asyncio.AbstractEventLoop"),
    "internet-data": ("email.message.Message", "email.message.EmailMessage", "json.JSONDecoder",
                      "json.JSONEncoder", "mailbox.Mailbox", "mimetypes.MimeTypes"),
    "markup": ("html.parser.HTMLParser", "xml.etree.ElementTree.Element", "xml.etree.ElementTree.ElementTree",
               "xml.etree.ElementTree.XMLPullParser", "xml.dom.minidom.Node"),
    "protocols": ("http.client.HTTPConnection", "http.client.HTTPResponse", "urllib.request.Request",
                  "urllib.request.OpenerDirector", "smtplib.SMTP", "ftplib.FTP", "imaplib.IMAP4",
                  "uuid.UUID", "ipaddress.IPv4Network", "http.cookies.SimpleCookie",
                  "http.server.BaseHTTPRequestHandler"),
    "dev-tools": ("unittest.TestCase", "unittest.TestSuite", "unittest.TestResult", "doctest.DocTestRunner",
                  "unittest.mock.Mock"),
    "debugging": ("pdb.Pdb", "bdb.Bdb", "timeit.Timer", "tracemalloc.Snapshot", "trace.Trace"),
    "runtime": ("contextlib.ExitStack", "inspect.Signature", "inspect.Parameter", "traceback.TracebackException",
                "warnings.catch_warnings"),
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------------
# rendering


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_md(doc: Doc) -> bytes:
    tags = ", ".join(doc.tags)
    out = [
        "---",
        f'title: "{doc.title}"',
        f"tags: [{tags}]",
        f"source: {doc.source}",
        f"license: {doc.license}",
        "---",
        "",
        f"# {doc.title}",
        "",
    ]
    if doc.intro:
        out += [rst_to_md(doc.intro), ""]
    for section in doc.sections:
        heading = f"`{section.heading}`" if "(" in section.heading else section.heading
        if section.heading:
            out += [f"## {heading}", ""]
        out += [rst_to_md(section.body), ""]
    return ("\n".join(out).rstrip() + "\n").encode()


def rst_to_md(text: str) -> str:
    """Indented blocks become fenced code; the rest stays as written (docstrings are close to Markdown already)."""
    out: list[str] = []
    in_code = False
    for line in text.split("\n"):
        indented = line.startswith("   ") and line.strip()
        if indented and not in_code and (not out or not out[-1].strip()):
            out.append("```")
            in_code = True
        elif in_code and line.strip() and not line.startswith("   "):
            out.append("```")
            in_code = False
        out.append(line)
    if in_code:
        out.append("```")
    return "\n".join(out).strip()


def render_html(doc: Doc) -> bytes:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(doc.title)}</title>",
        f'<meta name="keywords" content="{html.escape(", ".join(doc.tags))}">',
        "<style>body { font-family: sans-serif; max-width: 48em; } pre { background: #f4f4f4; }</style>",
        "<script>document.documentElement.classList.add('js');</script>",
        "</head>",
        "<body>",
        '<nav><a href="../index.html">Index</a></nav>',
        "<main>",
        f"<h1>{html.escape(doc.title)}</h1>",
    ]
    if doc.intro:
        out += blocks_to_html(doc.intro)
    for section in doc.sections:
        if section.heading:
            out.append(f"<h2>{html.escape(section.heading)}</h2>")
        out += blocks_to_html(section.body)
    out += ["</main>", f"<footer><p>Source: {html.escape(doc.source)}. License: {doc.license}.</p></footer>",
            "</body>", "</html>"]  # fmt: skip
    return ("\n".join(out) + "\n").encode()


def blocks_to_html(text: str) -> list[str]:
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        if not block.strip():
            continue
        lines = block.split("\n")
        if all(line.startswith("   ") or not line.strip() for line in lines):
            out.append(f"<pre>{html.escape(textwrap.dedent(block))}</pre>")
        elif block.lstrip().startswith(("* ", "- ")):
            items = re.split(r"\n\s*[*-] ", "\n" + block.strip())[1:]
            out.append("<ul>" + "".join(f"<li>{html.escape(' '.join(i.split()))}</li>" for i in items) + "</ul>")
        else:
            out.append(f"<p>{html.escape(' '.join(block.split()))}</p>")
    return out


def render_txt(doc: Doc) -> bytes:
    out = [doc.title, "=" * len(doc.title), ""]
    if doc.intro:
        out += [doc.intro, ""]
    for section in doc.sections:
        if section.heading:
            out += [section.heading, "-" * len(section.heading), ""]
        out += [section.body, ""]
    out += [f"Source: {doc.source}. License: {doc.license}."]
    return ("\n".join(out).rstrip() + "\n").encode()


def render_json(doc: Doc) -> bytes:
    value = {
        "title": doc.title,
        "tags": list(doc.tags),
        "source": doc.source,
        "license": doc.license,
        "summary": doc.intro,
        "members": [
            {"signature": s.heading, "kind": "callable" if "(" in s.heading else "name", "doc": s.body}
            for s in doc.sections
        ],
    }
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def render_pdf(doc: Doc, lines_per_page: int = 52) -> bytes:
    """A minimal valid PDF: Helvetica (WinAnsi), one text object per page, classic xref table, /Info title."""
    lines: list[str] = []
    for paragraph in doc.plain().split("\n\n"):
        lines += [*textwrap.wrap(" ".join(paragraph.split()), width=92), ""]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    font, info, pages_obj = 3, 4, 2
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        font: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        # Info strings are PDFDocEncoding unless UTF-16BE with a BOM; the hex form needs no escaping.
        info: b"<< /Title <"
        + (codecs.BOM_UTF16_BE + doc.title.encode("utf-16-be")).hex().upper().encode()
        + b"> /Producer (glyph samples/build_corpus.py) >>",
    }
    kids: list[int] = []
    for n, page_lines in enumerate(pages):
        page_no, content_no = 5 + 2 * n, 6 + 2 * n
        body = (
            b"BT\n/F1 10 Tf\n13 TL\n72 740 Td\n"
            + b"".join(b"(" + pdf_escape(line) + b") Tj T*\n" for line in page_lines)
            + b"ET"
        )
        objects[content_no] = b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
        objects[page_no] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % content_no
        )
        kids.append(page_no)
    objects[pages_obj] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref_at)
    return bytes(out)


def verify_pdf(data: bytes, doc: Doc) -> None:
    """pypdf must read back the words we wrote (Helvetica + WinAnsi keeps them intact)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.metadata is None or reader.metadata.title != doc.title:
        raise SystemExit(f"pypdf did not read back the title {doc.title!r}")
    extracted = " ".join(page.extract_text() for page in reader.pages).split()
    expected = doc.plain().encode("cp1252", "replace").decode("cp1252").split()
    if extracted != expected:
        raise SystemExit(f"pypdf did not read back {doc.title!r}: {extracted[:12]} != {expected[:12]}")


RENDERERS = {"md": render_md, "html": render_html, "txt": render_txt, "json": render_json, "pdf": render_pdf}


# ---------------------------------------------------------------------------------------------------------------------
# the two tenants


def module_budget(name: str) -> int:
    return 100 + stable_number(name, 350)  # 100..449 words, varied per module but stable


def build_modules(
    tenant: str, areas: dict[str, tuple[str, ...]], folder: str, json_every: int
) -> Iterator[tuple[str, Doc, str]]:
    """Module references: most as Markdown, every `json_every`-th as a JSON catalog, a few as plain text."""
    for area, names in areas.items():
        for name in names:
            doc = module_doc(name, area, module_budget(name))
            if doc is None:
                continue
            fmt = "json" if stable_number(name, json_every) == 0 else ("txt" if stable_number(name, 11) == 0 else "md")
            sub = "api" if fmt == "json" else folder
            yield f"{tenant}/{sub}/{area}/{slug(name)}.{fmt}", doc, fmt


def acme() -> Iterator[tuple[str, Doc, str]]:
    yield from build_modules("acme", ACME_MODULES, "reference", 3)
    for area, paths in ACME_CLASSES.items():
        for path in paths:
            doc = class_doc(path, area, 100 + stable_number(path, 250))
            if doc is not None:
                yield f"acme/reference/{area}/classes/{slug(path)}.md", doc, "md"
    for name in ACME_BUILTIN_TYPES:
        doc = builtin_type_doc(name, 400)
        if doc is not None:
            yield f"acme/reference/builtins/{name}.md", doc, "md"
    for key in ACME_TOPICS:
        for n, doc in enumerate(topic_docs(key, ("python", "library reference"))):
            suffix = f"-{n + 1}" if "(part" in doc.title else ""
            yield f"acme/handbook/library/{slug(key)}{suffix}.html", doc, "html"
    for name in ("heapq", "bisect", "secrets"):
        doc = module_doc(name, "memo", 420)
        if doc is not None:
            yield f"acme/memos/2026/{slug(name)}-memo.pdf", doc, "pdf"


def globex() -> Iterator[tuple[str, Doc, str]]:
    yield from build_modules("globex", GLOBEX_MODULES, "library", 3)
    for area, paths in GLOBEX_CLASSES.items():
        for path in paths:
            doc = class_doc(path, area, 100 + stable_number(path, 250))
            if doc is not None:
                fmt = "json" if stable_number(path, 3) == 0 else "md"
                yield f"globex/library/{area}/classes/{slug(path)}.{fmt}", doc, fmt
    for name in GLOBEX_BUILTIN_TYPES:
        doc = builtin_type_doc(name, 400)
        if doc is not None:
            yield f"globex/library/builtins/{name}.json", doc, "json"
    for group, keys in GLOBEX_TOPIC_GROUPS.items():
        for key in sorted(keys):
            fmt = "txt" if stable_number(key, 4) == 0 else "html"
            for n, doc in enumerate(topic_docs(key, ("python", "language reference", group))):
                suffix = f"-{n + 1}" if "(part" in doc.title else ""
                yield f"globex/language/{group}/{slug(key)}{suffix}.{fmt}", doc, fmt
    for key in sorted(set(PYDOC_TOPICS) - set(ACME_TOPICS) - GLOBEX_SKIPPED_TOPICS
                      - set().union(*GLOBEX_TOPIC_GROUPS.values())):  # fmt: skip
        for n, doc in enumerate(topic_docs(key, ("python", "language reference", "execution model"))):
            suffix = f"-{n + 1}" if "(part" in doc.title else ""
            yield f"globex/language/model/{slug(key)}{suffix}.md", doc, "md"
    for name in LICENSE_FILES:
        text = (LICENSES_DIR / name).read_text(encoding="utf-8")
        yield (
            f"globex/legal/licenses/{slug(name)}.txt",
            Doc(name, text, (), ("license", "legal"), str(LICENSES_DIR / name), name),
            "verbatim",
        )
    psf = PYTHON_LICENSE.read_text(encoding="utf-8")
    yield (
        "globex/legal/licenses/python-psf.txt",
        Doc("Python license", psf, (), ("license", "legal"), str(PYTHON_LICENSE), "PSF-2.0"),
        "verbatim",
    )
    for name in ("uuid", "ipaddress", "base64"):
        doc = module_doc(name, "brief", 420)
        if doc is not None:
            yield f"globex/briefs/{slug(name)}-brief.pdf", doc, "pdf"


def main() -> None:
    if ".".join(map(str, sys.version_info[:2])) != BUILT_WITH:
        running = sys.version.split()[0]
        print(f"warning: the committed corpus was built with CPython {BUILT_WITH}; docstrings differ in {running}")
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    stats: Counter[tuple[str, str]] = Counter()
    size: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for tenant_docs in (acme(), globex()):
        for key, doc, fmt in tenant_docs:
            if fmt == "verbatim":
                data, fmt = doc.intro.encode(), "txt"  # license texts are copied unchanged, as their terms require
            else:
                data = RENDERERS[fmt](doc)
            if fmt == "pdf":
                verify_pdf(data, doc)
            path = CORPUS / key
            if path.exists():
                raise SystemExit(f"two documents map to {key}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            tenant = key.split("/", 1)[0]
            stats[(tenant, fmt)] += 1
            size[tenant] += len(data)
            words[tenant] += doc.words()
    for tenant in ("acme", "globex"):
        formats = ", ".join(f"{fmt} {n}" for (t, fmt), n in sorted(stats.items()) if t == tenant)
        total = sum(n for (t, _), n in stats.items() if t == tenant)
        print(f"{tenant}: {total} documents ({formats}); {words[tenant]} words; {size[tenant]} bytes")


if __name__ == "__main__":
    main()
