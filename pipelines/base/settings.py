"""Environment -> settings, in one place. Every connection setting is a GLYPH_* variable (docs/design.md)."""

from __future__ import annotations

import os
import re


class MissingSetting(RuntimeError):
    """A required GLYPH_* variable is not set; the message says how to get it."""


def require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(
            f"{name} is not set: run `eval \"$(glyph services env)\"` after `glyph services up`, "
            "or point it at your own service"
        )
    return value


def redact(text: str) -> str:
    """Hide passwords in DSNs/URLs (`scheme://user:secret@host` -> `scheme://user:***@host`) before logging."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)
