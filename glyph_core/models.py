"""Values the stages hand each other; frozen so a stage cannot change what it was given.

Stores (glyph_io) return these from their queries (`class_row`) and take them as arguments, so a stage's code never
sees a driver row or a connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Tenant:
    """A row of the tenant directory: what every stage resolves its partition key (the slug) to."""

    id: str
    slug: str
    status: str

    @property
    def active(self) -> bool:
        return self.status != "suspended"


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
    """A window of a document's text in model tokens, at most `ChunkSpec.max_chars` characters long.

    `text` is an exact slice of the document text; `token_count` counts WordPiece tokens without [CLS]/[SEP];
    `start_token` is the index of its first token in the whole document; `content_hash` is sha256 of `text`.
    `cut_chars` > 0 says the window was cut: that many characters of one over-long run (e.g. a hex dump the
    tokenizer reads as a single [UNK]) were left out of this chunk.
    """

    index: int
    text: str
    token_count: int
    content_hash: str
    start_token: int
    cut_chars: int = 0


# ------------------------------------------------------------------------------------------------ ingest


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object as the store lists it; `etag` tells whether it changed since the last run."""

    key: str
    etag: str
    size: int
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class KnownFile:
    """What the database remembers of a source object (files row)."""

    storage_path: str
    etag: str | None
    content_hash: str | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class FileRecord:
    """The files row of one object: parsed (status pending) or refused (status failed with `error`)."""

    storage_path: str
    filename: str
    file_type: str
    mime_type: str
    size_bytes: int
    etag: str
    version_id: str | None
    status: str
    error: str | None = None
    text: str | None = None
    content_hash: str | None = None
    metadata: str = "{}"


@dataclass(frozen=True, slots=True)
class Quarantine:
    """Why an object was refused, once per (key, etag)."""

    object_key: str
    etag: str
    reason_code: str
    reason: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class IngestPlan:
    """What one ingest run must do: objects to read, keys that disappeared, how many are unchanged."""

    todo: tuple[ObjectInfo, ...]
    removed: tuple[str, ...]
    unchanged: int

    @property
    def has_work(self) -> bool:
        return bool(self.todo or self.removed)


# ------------------------------------------------------------------------------------------------ chunks, vectors


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A live file whose text changed since it was last chunked."""

    id: UUID
    storage_path: str
    extracted_text: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """One file_chunks row to write."""

    file_id: UUID
    chunk_index: int
    chunk_text: str
    content_hash: str
    token_count: int
    start_token: int
    cut_chars: int


@dataclass(frozen=True, slots=True)
class ChunkToEmbed:
    """A chunk without a vector for the current model (or whose text changed since), or whose text the current
    extractor has not read yet."""

    id: UUID
    content_hash: str
    chunk_text: str
    needs_vector: bool = True
    needs_mentions: bool = False


# ------------------------------------------------------------------------------------------------ graph


@dataclass(frozen=True, slots=True)
class DocumentToGraph:
    """A live file chunked from its current content but not yet in the graph in that version."""

    id: UUID
    storage_path: str
    content_hash: str
    etag: str | None
    metadata: dict[str, Any]
    graphed_before: bool = False  # an earlier version is in the graph: its leftovers must be cleaned up


@dataclass(frozen=True, slots=True)
class GraphCounts:
    live_nodes: int
    live_edges: int
    dangling_edges: int


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """Per-tenant totals for the CLI summary."""

    documents: int
    quarantined: int
    chunks: int
    nodes: int
    edges: int
    glyphs: int
    events_published: int
    events_pending: int
    events_dead: int


# ------------------------------------------------------------------------------------------------ outbox


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Unpublished events of one tenant: how many, the newest sequence number, the oldest one's age."""

    tenant_id: str
    pending: int
    max_seq: int
    oldest_age_s: float


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """Operator's view of one tenant's outbox (`glyph outbox status`)."""

    tenant_id: str
    slug: str
    pending: int
    dead: int
    published: int
    oldest_pending_age_s: float
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RetentionResult:
    outbox_rows_deleted: int
    audit_rows_deleted: int


@dataclass(frozen=True, slots=True)
class TenantMetrics:
    """One tenant's counters for the metrics exporter, read for every tenant in one statement."""

    tenant_id: str
    slug: str
    status: str
    published: int
    pending: int
    dead: int
    lag_seconds: float
    quarantined: int


@dataclass(frozen=True, slots=True)
class EventImage:
    """An outbox row as the publisher reads it."""

    seq: int
    event_id: str
    tenant_id: str
    entity_type: str  # node | edge | glyph
    entity_id: str
    op: str  # c | u | d
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    txid: int
    occurred_at: datetime


# ------------------------------------------------------------------------------------------------ entity layer


@dataclass(frozen=True)
class EntityCard:
    """An entity or concept node as `glyph graph show` prints it."""

    id: UUID
    key: str
    kind: str
    type: str
    name: str
    aliases: list[str]
    mentions: int
    documents: int
    importance: float


@dataclass(frozen=True)
class Neighbour:
    name: str
    kind: str
    type: str
    weight: float


@dataclass(frozen=True)
class MentioningDocument:
    title: str
    key: str
    mentions: int
