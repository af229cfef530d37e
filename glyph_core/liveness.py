"""Which runs are dead: a run that beats (tag `glyph/heartbeat`, refreshed while its steps execute) and has not
beaten for `stale_after_s` lost its process (SIGKILL, OOM, a node gone) and must be marked failed, or its slot in
the run queue (and its tenant's one-run limit) stays taken for ever (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

HEARTBEAT_TAG = "glyph/heartbeat"
BEAT_EVERY_S = 10.0
STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class RunBeat:
    run_id: str
    status: str  # STARTING | STARTED | CANCELING
    tags: Mapping[str, str]


def stale_runs(runs: Iterable[RunBeat], now: float, stale_after_s: float = STALE_AFTER_S) -> list[tuple[str, float]]:
    """(run id, seconds since its last beat) of every in-progress run whose heartbeat stopped. Runs that never beat
    (not our code, or not started yet) are left to Dagster's own run monitoring (start/cancel timeouts)."""
    out: list[tuple[str, float]] = []
    for run in runs:
        raw = run.tags.get(HEARTBEAT_TAG)
        if raw is None:
            continue
        try:
            silent = now - float(raw)
        except ValueError:
            continue
        if silent > stale_after_s:
            out.append((run.run_id, silent))
    return out
