"""Deterministic identities: the same input always yields the same key, so re-runs upsert instead of duplicating."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from uuid import UUID, uuid5

# Never change: every stable_uuid (and so every node id derived from it) depends on it.
GLYPH_NAMESPACE = UUID("0d6e5f3c-8a41-5b7e-9c2d-3f6a1b8e4c70")

_SLUG_SEPARATORS = re.compile(r"[\W_]+")
MAX_SLUG_LENGTH = 64


def content_hash(data: str | bytes) -> str:
    """sha256 hex of `data` (text is hashed as UTF-8)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def stable_uuid(*parts: str | int | UUID) -> UUID:
    """uuid5 of `parts` in the project namespace; parts are length-prefixed so ("a/b",) and ("a", "b") differ.

    Parts are compared as text: 7 and "7" give the same id.
    """
    if not parts:
        raise ValueError("stable_uuid needs at least one part")
    name = "".join(f"{len(text)}:{text}" for text in (str(part) for part in parts))
    return uuid5(GLYPH_NAMESPACE, name)


def doc_key(object_key: str) -> str:
    """External key of a document node: `doc:<object key>`."""
    _require_key(object_key)
    return f"doc:{object_key}"


def chunk_key(object_key: str, index: int) -> str:
    """External key of a chunk node: `chunk:<object key>#<index>`."""
    _require_key(object_key)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"chunk index must be a non-negative int, got {index!r}")
    return f"chunk:{object_key}#{index}"


def tag_slug(name: str) -> str:
    """Lower-case, separator-collapsed form of a tag; `Data Types`, `data_types` and `DATA-TYPES` share one concept.

    Letters of every script are kept (a Japanese tag keeps its characters); raises ValueError when nothing is left.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    slug = _SLUG_SEPARATORS.sub("-", folded).strip("-")[:MAX_SLUG_LENGTH].rstrip("-")
    if not slug:
        raise ValueError(f"tag has no letters or digits: {name!r}")
    return slug


def tag_key(name: str) -> str:
    """External key of a concept node: `tag:<slug>`."""
    return f"tag:{tag_slug(name)}"


def _require_key(object_key: str) -> None:
    if not object_key:
        raise ValueError("object key must not be empty")
