"""Cache: Redis as a read-through cache of (tenant, model, content hash) -> vector; losing it costs only encodes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import numpy as np
from pydantic import PrivateAttr


class Cache(dg.ConfigurableResource["Cache"]):
    """Optional by design: a Redis outage degrades to empty answers and skipped writes, never to a failed run."""

    url: str
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
        if not hashes:
            return {}
        try:
            raw = self.client().mget([self._key(tenant_id, model, h) for h in hashes])
        except Exception:  # noqa: BLE001 - the cache is optional by design
            return {}
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in zip(hashes, raw) if v}

    def put_vectors(self, tenant_id: str, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        try:
            pipe = self.client().pipeline(transaction=False)
            for h, v in vectors.items():
                pipe.set(self._key(tenant_id, model, h), np.asarray(v, dtype=np.float32).tobytes(), ex=self.ttl_seconds)
            pipe.execute()
        except Exception:  # noqa: BLE001
            return

    def get_blob(self, key: str) -> bytes | None:
        """A cached artefact (e.g. a rendered picture) by its content key; None when absent or Redis is down."""
        try:
            value = self.client().get(f"glyph:blob:{key}")
        except Exception:  # noqa: BLE001
            return None
        return bytes(value) if value else None

    def put_blob(self, key: str, data: bytes) -> None:
        try:
            self.client().set(f"glyph:blob:{key}", data, ex=self.ttl_seconds)
        except Exception:  # noqa: BLE001
            return
