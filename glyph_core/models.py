"""Values the pure stages hand each other; frozen so a stage cannot change what it was given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceObject:
    """One object as the store lists it; `etag`/`version_id` tell whether it changed since the last run."""

    key: str
    etag: str
    size: int
    version_id: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """The text of one source object and what was learned while extracting it.

    `key` is the tenant-relative object key; `content_hash` covers format, title, tags and text (everything the
    later stages consume), so an unchanged hash means nothing downstream needs to run again.
    """

    key: str
    title: str
    text: str
    format: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A window of a document's text in model tokens.

    `text` is an exact slice of the document text; `token_count` counts WordPiece tokens without [CLS]/[SEP];
    `start_token` is the index of its first token in the whole document; `content_hash` is sha256 of `text`.
    """

    index: int
    text: str
    token_count: int
    content_hash: str
    start_token: int
