"""Error classes that tell the pipeline whether a retry can help."""

from __future__ import annotations


class TransientError(Exception):
    """Safe to retry: the same input may succeed later (network, lock, broker)."""


class TerminalError(Exception):
    """Retrying cannot help: bad input or a broken invariant."""


class QuarantinedDocument(TerminalError):
    """The document cannot be ingested; it is recorded with its reason and skipped, the run continues.

    `reason_code` is a short snake_case value fit for a column and for grouping (`too_large`, `binary`, ...);
    `reason` is one human sentence that says what was wrong and, where it helps, what to do.
    """

    def __init__(self, reason_code: str, reason: str) -> None:
        super().__init__(f"{reason_code}: {reason}")
        self.reason_code = reason_code
        self.reason = reason

    def __reduce__(self) -> tuple[type[QuarantinedDocument], tuple[str, str]]:
        # Keeps the two fields when the error crosses a process boundary (pickle).
        return (type(self), (self.reason_code, self.reason))
