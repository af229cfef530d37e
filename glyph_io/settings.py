"""Environment -> settings and resource instances, in one place. Connection settings are GLYPH_* variables."""

from __future__ import annotations

import os
import re
from typing import Any

import dagster as dg


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


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def redact(text: str) -> str:
    """Hide passwords in DSNs/URLs (`scheme://user:secret@host` -> `scheme://user:***@host`) before logging."""
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)
    # libpq keyword DSNs (`password=...`) and URL query parameters (`?password=...`, `&sslpassword=...`)
    return re.sub(r"(?i)\b((?:ssl)?password=)(?:'(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", text)


def resources(resolved: bool = False) -> dict[str, Any]:
    """Resource instances bound to environment variables.

    For Dagster (default) secrets stay `EnvVar`s, read at run time and shown by name only. `resolved=True` reads
    the values now, for use outside a Dagster run (CLI, tests), where an EnvVar cannot be dereferenced.
    """
    from glyph_io.resources import (
        Cache,
        Embedder,
        EventBus,
        GraphStore,
        ObjectStore,
    )

    def var(name: str) -> Any:
        return require(name) if resolved else dg.EnvVar(name)

    return {
        "graph_store": GraphStore(app_dsn=var("GLYPH_APP_DATABASE_URL"), owner_dsn=var("GLYPH_DATABASE_URL")),
        "object_store": ObjectStore(
            endpoint=var("GLYPH_S3_ENDPOINT"),
            access_key=var("GLYPH_S3_ACCESS_KEY"),
            secret_key=var("GLYPH_S3_SECRET_KEY"),
            bucket=os.environ.get("GLYPH_S3_BUCKET", "glyph-documents"),
            secure=env_bool("GLYPH_S3_SECURE", False),
            region=os.environ.get("GLYPH_S3_REGION") or None,
        ),
        "embedder": Embedder(
            model_version=os.environ.get("GLYPH_EMBED_MODEL_VERSION", "gt-0.1.0"),
            batch_size=int(os.environ.get("GLYPH_EMBED_BATCH_SIZE", "16")),
        ),
        "cache": Cache(url=var("GLYPH_REDIS_URL")),
        "event_bus": EventBus(
            bootstrap_servers=var("GLYPH_KAFKA_BOOTSTRAP"),
            security_protocol=os.environ.get("GLYPH_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
            sasl_mechanism=os.environ.get("GLYPH_KAFKA_SASL_MECHANISM") or None,
            sasl_username=os.environ.get("GLYPH_KAFKA_SASL_USERNAME") or None,
            sasl_password=os.environ.get("GLYPH_KAFKA_SASL_PASSWORD") or None,
            ssl_cafile=os.environ.get("GLYPH_KAFKA_SSL_CAFILE") or None,
            topic_prefix=os.environ.get("GLYPH_KAFKA_TOPIC_PREFIX", "glyphfoundry"),
        ),
    }
