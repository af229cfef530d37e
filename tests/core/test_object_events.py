"""Which tenants an object notification names, and the reconciliation slice (pure, no services)."""

from __future__ import annotations

import json

from glyph_core.object_events import changed_tenants, sweep_slice, tenant_of_key, tenants_of_record

BUCKET = "glyph-documents"


def s3_json(*keys: str, bucket: str = BUCKET, name: str = "s3:ObjectCreated:Put") -> bytes:
    return json.dumps({"Records": [{"eventName": name, "s3": {"bucket": {"name": bucket}, "object": {"key": k}}}
                                   for k in keys]}).encode()


def test_seaweedfs_filer_paths_name_the_tenant_from_the_key_alone() -> None:
    value = b"\x0a\x05\x12\x03abc"  # protobuf bytes: never decoded
    assert tenants_of_record(b"/buckets/glyph-documents/acme/notes/a.md", value, BUCKET) == {"acme"}
    assert tenants_of_record(b"/buckets/glyph-documents/acme/a.md", None, BUCKET) == {"acme"}  # delete: no value


def test_directories_other_buckets_and_multipart_staging_name_no_tenant() -> None:
    assert tenants_of_record(b"/buckets/glyph-documents/acme", b"", BUCKET) == set()  # the implicit tenant dir
    assert tenants_of_record(b"/buckets/glyph-documents", b"", BUCKET) == set()  # the bucket itself
    assert tenants_of_record(b"/buckets/other/acme/a.md", b"", BUCKET) == set()
    assert tenants_of_record(b"/buckets/glyph-documents-2/acme/a.md", b"", BUCKET) == set()  # a prefix, not ours
    assert tenants_of_record(b"/buckets/glyph-documents/.uploads/123/0001.part", b"", BUCKET) == set()
    assert tenants_of_record(b"/topics/.system/log/x", b"", BUCKET) == set()
    assert tenants_of_record(None, None, BUCKET) == set()


def test_aws_and_minio_json_records_with_url_encoded_keys() -> None:
    assert tenants_of_record(None, s3_json("acme/a+report.md", "globex%2Fdeep%2Fx.txt"), BUCKET) == {"acme", "globex"}
    assert tenants_of_record(None, s3_json("acme/a.md", bucket="other"), BUCKET) == set()
    assert tenants_of_record(None, s3_json("acme/x.md", name="s3:ObjectRemoved:Delete"), BUCKET) == {"acme"}
    assert tenants_of_record(None, b'{"Records": "not a list"}', BUCKET) == set()
    assert tenants_of_record(None, b"{not json", BUCKET) == set()  # garbage is skipped, never raised
    bridge = {"detail-type": "Object Created", "detail": {"bucket": {"name": BUCKET}, "object": {"key": "acme/a b.md"}}}
    assert tenants_of_record(None, json.dumps(bridge).encode(), BUCKET) == {"acme"}


def test_a_burst_becomes_one_entry_per_tenant() -> None:
    burst = [(f"/buckets/{BUCKET}/acme/doc-{i}.md".encode(), b"") for i in range(500)]
    burst += [(f"/buckets/{BUCKET}/globex/doc.md".encode(), b""), (None, s3_json("initech/a.md"))]
    assert changed_tenants(burst, BUCKET) == {"acme", "globex", "initech"}
    assert changed_tenants([], BUCKET) == set()


def test_tenant_of_key() -> None:
    assert tenant_of_key("acme/a.md") == "acme"
    assert tenant_of_key("/acme/a.md") == "acme"
    assert tenant_of_key("acme/") is None and tenant_of_key("acme") is None and tenant_of_key("") is None


def test_the_sweep_visits_every_tenant_once_per_cycle_whatever_the_count() -> None:
    tenants = [f"t{i:05d}" for i in range(10_000)]
    seen: list[str] = []
    start = 0
    for _ in range(50):  # 10,000 tenants / 200 per tick
        picked, start = sweep_slice(tenants, start, 200)
        assert len(picked) == 200
        seen += picked
    assert sorted(seen) == tenants and start == 0
    assert sweep_slice(["a", "b", "c"], 2, 2) == (["c", "a"], 1)  # wraps around
    assert sweep_slice(["a", "b"], 7, 5) == (["b", "a"], 1)  # fewer tenants than the slice: each once
    assert sweep_slice([], 3, 5) == ([], 0)
