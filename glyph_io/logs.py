"""Structured logs with tenant and run ids: JSON lines for log shippers, readable lines in Dagster's run log."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the structured fields (tenant, run_id, ...)."""

    FIELDS = ("tenant", "tenant_id", "run_id", "job", "partition", "step", "stage")

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                                "logger": record.name, "msg": record.getMessage()}
        for key in self.FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def run_fields(context: Any, tenant: str | None = None, **fields: Any) -> dict[str, Any]:
    """Fields for a log line from a Dagster context: run id, job, partition, step (+ the tenant, + extras)."""
    run = getattr(context, "run", None)
    out: dict[str, Any] = {"run_id": getattr(run, "run_id", None)}
    for attr, key in (("job_name", "job"), ("partition_key", "partition")):
        try:
            out[key] = getattr(context, attr)
        except Exception:  # noqa: BLE001 - unpartitioned runs raise on partition_key
            out[key] = None
    try:
        out["step"] = context.op_execution_context.op_handle.name if hasattr(context, "op_execution_context") \
            else context.op_handle.name
    except Exception:  # noqa: BLE001
        out["step"] = None
    out["tenant"] = tenant
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def log_event(context: Any, message: str, *, tenant: str | None = None, level: int = logging.INFO,
              **fields: Any) -> str:
    """Log `message` with tenant and run ids: as one JSON line on the `glyph` logger (GLYPH_LOG_FORMAT=json to
    stdout, picked up by the cluster's log shipper) and, readable, in Dagster's own run log. Returns the JSON line."""
    data = run_fields(context, tenant, **fields)
    line = json.dumps({"msg": message, **data}, default=str)
    logger = structured_logger()
    logger.log(level, message, extra={"fields": data})
    dagster_log = getattr(context, "log", None)
    if dagster_log is not None:
        dagster_log.log(level, f"{message} " + " ".join(f"{k}={v}" for k, v in data.items()))
    return line


_CONFIGURED: set[str] = set()


def structured_logger(name: str = "glyph") -> logging.Logger:
    """The `glyph` logger; JSON lines to stderr when GLYPH_LOG_FORMAT=json (the Helm values set it)."""
    logger = logging.getLogger(name)
    if name not in _CONFIGURED:
        from glyph_io.settings import settings

        if settings().log_format.lower() == "json":
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        _CONFIGURED.add(name)
    return logger




class Clock:
    """Seconds since the clock started, rounded for metadata; frozen when its `timed()` block ends."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._stopped: float | None = None

    def stop(self) -> None:
        self._stopped = time.perf_counter()

    @property
    def seconds(self) -> float:
        end = self._stopped if self._stopped is not None else time.perf_counter()
        return round(end - self._started, 3)


@contextlib.contextmanager
def timed() -> Iterator[Clock]:
    """`with timed() as clock:` ... `clock.seconds` (the stage's duration_s metadata)."""
    clock = Clock()
    try:
        yield clock
    finally:
        clock.stop()
