"""Which tenants an S3 object notification concerns (pure), and the reconciliation slice of a tick.

Two wire formats reach the notification topic:
* SeaweedFS filer notifications (what `glyph services up` configures): the record key is the filer path
  `/buckets/<bucket>/<object key>`, the value a protobuf `filer_pb.EventNotification`. The path alone names the
  tenant, so the value is never decoded; a create, overwrite or delete all mean "run this tenant".
* AWS S3 / MinIO bucket notifications (JSON): `{"Records": [{"s3": {"bucket": {"name"}, "object": {"key"}}}]}`,
  keys URL-encoded with `+` for spaces; or AWS EventBridge events (`{"detail": {"bucket": …, "object": {"key"}}}`).
A record that is neither (or another bucket's) is ignored: the reconciliation sweep is the safety net.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Sequence

SEAWEED_BUCKETS = "/buckets/"
MULTIPART_STAGING = ".uploads"  # SeaweedFS keeps in-progress multipart parts under <bucket>/.uploads/


def tenant_of_key(object_key: str) -> str | None:
    """The tenant slug of an object key (`<slug>/…`); None for keys outside any tenant prefix."""
    slug, sep, rest = object_key.lstrip("/").partition("/")
    return slug if sep and rest and slug and slug != MULTIPART_STAGING else None


def tenants_of_record(key: bytes | None, value: bytes | None, bucket: str) -> set[str]:
    """The tenants one notification record concerns (empty when it is not about `bucket`'s tenant objects)."""
    body = value or b""
    if body[:1] == b"{":
        return _tenants_of_s3_json(body, bucket)
    path = (key or b"").decode("utf-8", "replace")
    prefix = f"{SEAWEED_BUCKETS}{bucket}/"
    if not path.startswith(prefix):
        return set()
    slug = tenant_of_key(path[len(prefix):])
    return {slug} if slug else set()


def _tenants_of_s3_json(body: bytes, bucket: str) -> set[str]:
    """S3 notification JSON (`Records[].s3`, keys URL-encoded) or an EventBridge event (`detail`, keys plain)."""
    try:
        document = json.loads(body)
        records = document.get("Records")
        if records is None and isinstance(document.get("detail"), dict):
            detail = document["detail"]
            records = [{"s3": {"bucket": detail.get("bucket", {}),
                               "object": {"key": urllib.parse.quote_plus(str(detail.get("object", {}).get("key", "")),
                                                                         safe="/")}}}]
    except (ValueError, AttributeError):
        return set()
    slugs = set()
    for record in records if isinstance(records, list) else []:
        s3 = record.get("s3", {}) if isinstance(record, dict) else {}
        if not isinstance(s3, dict) or s3.get("bucket", {}).get("name") != bucket:
            continue
        slug = tenant_of_key(urllib.parse.unquote_plus(str(s3.get("object", {}).get("key", ""))))
        if slug:
            slugs.add(slug)
    return slugs


def changed_tenants(records: Iterable[tuple[bytes | None, bytes | None]], bucket: str) -> set[str]:
    """Every tenant a batch of notification records concerns: a burst of uploads is one run per tenant."""
    return set().union(*(tenants_of_record(k, v, bucket) for k, v in records))


def sweep_slice(tenants: Sequence[str], start: int, size: int) -> tuple[list[str], int]:
    """The next `size` tenants (sorted order, wrapping) from position `start`, and the next start.

    Each tick lists this bounded slice, so a lost notification is found within ceil(n / size) ticks whatever n is.
    """
    if not tenants or size <= 0:
        return [], 0
    start %= len(tenants)
    picked = [tenants[(start + i) % len(tenants)] for i in range(min(size, len(tenants)))]
    return picked, (start + len(picked)) % len(tenants)
