"""The run's heartbeat: while a step executes, its run's `glyph/heartbeat` tag is refreshed, so a run whose process
died (SIGKILL, OOM, a lost node) is found and failed by the dead_runs sensor instead of holding its queue slot."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from glyph_core.liveness import BEAT_EVERY_S, HEARTBEAT_TAG


@contextmanager
def heartbeat(context: Any) -> Iterator[None]:
    """Refresh the run's `glyph/heartbeat` tag every BEAT_EVERY_S seconds while the block runs (a daemon thread:
    it dies with the process, which is the point)."""
    instance, run = getattr(context, "instance", None), getattr(context, "run", None)
    if instance is None or run is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while True:
            try:
                instance.add_run_tags(run.run_id, {HEARTBEAT_TAG: f"{time.time():.0f}"})
            except Exception:  # noqa: BLE001 - a missed beat is retried; the run must not fail for it
                pass
            if stop.wait(BEAT_EVERY_S):
                return

    thread = threading.Thread(target=beat, name="glyph-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
