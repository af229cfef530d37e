"""Retry only what can succeed later: transient errors retry with backoff, terminal ones fail at once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import dagster as dg

from glyph_core.errors import TerminalError, TransientError

F = TypeVar("F", bound=Callable[..., Any])

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=3, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def retry_transient(fn: F) -> F:
    """Map our error classes to Dagster's: TransientError -> retried by the policy; TerminalError -> no retry."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TransientError as exc:
            raise dg.Failure(description=f"transient: {exc} (will be retried)", allow_retries=True) from exc
        except TerminalError as exc:
            raise dg.Failure(description=f"{exc} (not retried: the same input fails the same way)",
                             allow_retries=False) from exc

    return wrapper  # type: ignore[return-value]
