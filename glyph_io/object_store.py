"""ObjectStore: the S3 API (MinIO, SeaweedFS, AWS) through the `minio` SDK; one bucket, one prefix per tenant slug."""

from __future__ import annotations

import builtins
import io
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from glyph_core.errors import TransientError
from glyph_core.models import ObjectInfo


class ObjectStore(dg.ConfigurableResource["ObjectStore"]):
    """Source documents under `<tenant slug>/...` in one bucket; every SDK/network error is a TransientError."""

    endpoint: str
    access_key: str
    secret_key: str
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
                timeout=urllib3.Timeout(connect=5, read=self.timeout_seconds), maxsize=8,
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

    def list(self, prefix: str) -> builtins.list[ObjectInfo]:
        """Every object under `prefix` (a key ending in "/" included: ingest quarantines it as unsafe_key)."""
        try:
            return [ObjectInfo(o.object_name, (o.etag or "").strip('"'), int(o.size or 0), o.version_id)
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

    def fetch_many(self, keys: builtins.list[str], workers: int = 4) -> builtins.list[bytes]:
        """The bytes of `keys`, in order, fetched `workers` at a time (a GET is mostly waiting on the network)."""
        from concurrent.futures import ThreadPoolExecutor

        if len(keys) <= 1:
            return [self.get(k) for k in keys]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glyph-s3") as pool:
            return list(pool.map(self.get, keys))
