"""Settings -> resource instances: the only place the pipeline's resources are configured.

For Dagster every connection setting is an `EnvVar` (read when a run starts, shown by name in the UI, never by
value); `resolved=True` reads them now, for the CLI and tests, where an EnvVar cannot be dereferenced outside a run.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from glyph_io.cache import Cache
from glyph_io.embedder import Embedder
from glyph_io.event_bus import EventBus
from glyph_io.graph_store import GraphStore, Housekeeping
from glyph_io.object_store import ObjectStore
from glyph_io.settings import Settings, env_name


def resources(settings: Settings, *, resolved: bool = False) -> dict[str, Any]:
    def connection(field: str) -> Any:
        return settings.need(field) if resolved else dg.EnvVar(env_name(field))

    def optional_secret(field: str) -> Any:
        if not getattr(settings, field):
            return None
        return connection(field)

    return {
        "graph_store": GraphStore(app_dsn=connection("app_database_url"), owner_dsn=connection("database_url")),
        "object_store": ObjectStore(endpoint=connection("s3_endpoint"), access_key=connection("s3_access_key"),
                                    secret_key=connection("s3_secret_key"), bucket=settings.s3_bucket,
                                    secure=settings.s3_secure, region=settings.s3_region),
        "embedder": Embedder(model_version=settings.embed_model_version, batch_size=settings.embed_batch_size,
                             workers=settings.embed_workers, extract=settings.extract_mentions),
        "cache": Cache(url=connection("redis_url")),
        "event_bus": EventBus(
            bootstrap_servers=connection("kafka_bootstrap"), security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism, sasl_username=settings.kafka_sasl_username,
            sasl_password=optional_secret("kafka_sasl_password"), ssl_cafile=settings.kafka_ssl_cafile,
            topic_prefix=settings.kafka_topic_prefix, topic_partitions=settings.kafka_topic_partitions,
            replication_factor=settings.kafka_replication_factor, event_max_bytes=settings.event_max_bytes,
            max_request_size=settings.max_request_size, dead_letter_topic=settings.kafka_dead_letter_topic),
        "housekeeping": Housekeeping(outbox_days=settings.outbox_retention_days,
                                     audit_days=settings.audit_retention_days,
                                     outbox_alert_age_s=settings.outbox_alert_age_s),
    }
