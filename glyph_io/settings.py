"""Configuration: every GLYPH_* environment variable, read in one place, once, into one frozen object.

Nothing reads the environment at import time: `settings()` is called when a command starts or when Dagster loads
the code location. Secrets (database URLs, S3 keys, the Kafka SASL password, the Redis URL) are also read here for
the CLI, but Dagster resources receive them as `EnvVar`s (see pipelines/resources.py), so the UI and the run logs
show the variable's name, never its value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

KIB = 1024


class MissingSetting(RuntimeError):
    """A required GLYPH_* variable is not set; the message says how to get it."""


class InvalidSetting(ValueError):
    """A GLYPH_* variable has a value the pipeline cannot use; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the pipeline is configured with. Field `x_y` comes from `GLYPH_X_Y` (see `ENV` for the exceptions)."""

    # connections (secrets: resources take these through EnvVar)
    database_url: str | None = None  # owner role: migrations, index maintenance, tenant provisioning
    app_database_url: str | None = None  # glyph_app: every read/write of tenant data
    readonly_database_url: str | None = None
    dagster_pg_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "glyph-documents"
    s3_secure: bool = False
    s3_region: str | None = None
    kafka_bootstrap: str | None = None
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None
    redis_url: str | None = None
    # change events
    kafka_topic_prefix: str = "glyphfoundry"
    kafka_topic_partitions: int = 3
    kafka_replication_factor: int = 1
    event_max_bytes: int = 256 * KIB  # no record on the wire is larger (value + key + headers)
    kafka_max_request_size: int = 0  # 0 = event_max_bytes + 64 KiB of batch framing; must exceed event_max_bytes
    kafka_dead_letter_topic: str | None = None  # optional: dead events are also copied there (as references)
    outbox_alert_age_s: int = 600  # the outbox check fails when the oldest pending event is older
    # object-change notifications (S3 events on Kafka); "poll" lists prefixes instead
    ingest_trigger: str = "notifications"
    s3_events_topic: str = "glyph.s3-events"
    reconcile_tenants_per_tick: int = 200
    # encoding
    embed_model_version: str = "gt-0.1.0"
    embed_batch_size: int = 16
    embed_workers: int = 0  # encoder processes; 0 = one per CPU core (each single-threaded)
    extract_mentions: bool = True  # entities and concepts (spaCy NER + rules) found in the same pass as the vectors
    # schedules and retention
    ingest_cron: str = "*/15 * * * *"
    index_cron: str = "30 2 * * *"
    glyph_cron: str = "15 0 * * *"
    retention_cron: str = "45 3 * * *"
    outbox_retention_days: int = 7
    audit_retention_days: int = 90
    # runs whose heartbeat stopped this long ago are marked failed (their process died)
    run_stale_after_s: int = 60
    # logging
    log_format: str = "text"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Parse the GLYPH_* variables of `environ`; unset or empty variables keep the defaults."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(env_name(f.name), "").strip()
            if not raw:
                continue
            values[f.name] = _parse(f.name, str(f.type), raw)
        built = cls(**values)
        built.validate()
        return built

    def validate(self) -> None:
        """Refuse combinations that would fail later and far away (e.g. a producer that rejects our events)."""
        if self.event_max_bytes < 16 * KIB:
            raise InvalidSetting(f"GLYPH_EVENT_MAX_BYTES={self.event_max_bytes} is below 16 KiB: even a reference "
                                 "event (all large fields moved out) would not fit")
        if self.kafka_max_request_size and self.kafka_max_request_size < self.event_max_bytes + 4 * KIB:
            raise InvalidSetting(
                f"GLYPH_KAFKA_MAX_REQUEST_SIZE={self.kafka_max_request_size} must exceed GLYPH_EVENT_MAX_BYTES="
                f"{self.event_max_bytes} by at least 4 KiB (batch framing), or the producer refuses events we built")
        if self.ingest_trigger not in ("notifications", "poll"):
            raise InvalidSetting(f"GLYPH_INGEST_TRIGGER={self.ingest_trigger!r}: use 'notifications' or 'poll'")

    @property
    def max_request_size(self) -> int:
        """The producer's max_request_size: agrees with event_max_bytes by construction."""
        return self.kafka_max_request_size or self.event_max_bytes + 64 * KIB

    def need(self, name: str) -> str:
        """The value of a connection setting that this command cannot do without."""
        value = getattr(self, name)
        if not value:
            raise MissingSetting(
                f"{env_name(name)} is not set: run `eval \"$(glyph services env)\"` after `glyph services up`, "
                "or point it at your own service")
        return str(value)


ENV = {"dagster_pg_url": "GLYPH_DAGSTER_PG_URL"}


def env_name(field_name: str) -> str:
    return ENV.get(field_name, "GLYPH_" + field_name.upper())


def _parse(name: str, annotation: str, raw: str) -> object:
    try:
        if annotation.startswith("bool"):
            return raw.lower() in {"1", "true", "yes", "on"}
        if annotation.startswith("int"):
            return int(raw)
    except ValueError:
        raise InvalidSetting(f"{env_name(name)}={raw!r} is not a number") from None
    return raw


@cache
def settings() -> Settings:
    """The process's settings, read from the environment on first use (tests call `settings.cache_clear()`)."""
    return Settings.from_env(os.environ)


def redact(text: str) -> str:
    """Hide passwords in DSNs/URLs (`scheme://user:secret@host` -> `scheme://user:***@host`) before logging."""
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)
    # libpq keyword DSNs (`password=...`) and URL query parameters (`?password=...`, `&sslpassword=...`)
    return re.sub(r"(?i)\b((?:ssl)?password=)(?:'(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", text)
