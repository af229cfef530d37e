"""How a stage runs: transient errors retry with backoff, terminal ones and signals fail at once, and while its
step executes the run beats (so a run whose process dies is found and failed, see pipelines/sensors.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeAlias, TypeVar

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from glyph_core.errors import TerminalError, TransientError
from glyph_io.heartbeat import heartbeat

P = ParamSpec("P")
R = TypeVar("R")

# A stage's return type. Dagster reads the annotation at run time and recognizes only the bare class for assets
# that also report asset checks; mypy needs the type argument.
if TYPE_CHECKING:
    Materialized: TypeAlias = dg.MaterializeResult[None]
else:
    Materialized = dg.MaterializeResult

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=3, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def retry_transient(fn: Callable[P, R]) -> Callable[P, R]:
    """Map our error classes to Dagster's: TransientError -> retried by the policy; TerminalError -> no retry.

    A SIGTERM/SIGINT (a pod shutdown, `timeout`, Ctrl-C) stops the step for good: Dagster would otherwise turn the
    interrupt into a retry of the step, and the process would keep going after it was asked to stop.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        context = args[0] if args else kwargs.get("context")
        try:
            with heartbeat(context):
                return fn(*args, **kwargs)
        except TransientError as exc:
            raise dg.Failure(description=f"transient: {exc} (will be retried)", allow_retries=True) from exc
        except TerminalError as exc:
            raise dg.Failure(description=f"{exc} (not retried: the same input fails the same way)",
                             allow_retries=False) from exc
        except DagsterExecutionInterruptedError as exc:
            raise dg.Failure(description="interrupted by a signal (SIGTERM/SIGINT): stopped, not retried; "
                                         "re-running resumes the work", allow_retries=False) from exc

    return wrapper
