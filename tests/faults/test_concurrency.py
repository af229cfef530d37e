"""Concurrent runs: one tenant twice at once (serialized by the tenant advisory lock), two tenants side by side."""

from __future__ import annotations

import threading
import time
from typing import Any

import dagster as dg
import pytest

from glyph_core.errors import TransientError
from tests.faults.conftest import (
    graph_snapshot,
    put_objects,
    rows,
    tiny_docs,
)

pytestmark = [pytest.mark.services, pytest.mark.faults, pytest.mark.timeout(400)]


def _parallel_runs(slugs: list[str]) -> list[dict[str, Any]]:
    """run_job("tenant_ingest") for each slug in its own thread (own Dagster instance), started together."""
    from glyph_tools.runner import ensure_tenant_partitions, run_job

    results: list[dict[str, Any]] = [{} for _ in slugs]
    barrier = threading.Barrier(len(slugs))

    def work(i: int, slug: str) -> None:
        try:
            with dg.DagsterInstance.ephemeral() as instance:
                ensure_tenant_partitions(instance, [slug])
                lines: list[str] = []
                barrier.wait()
                results[i]["start"] = time.monotonic()
                timing = run_job("tenant_ingest", partition_key=slug, instance=instance, log=lines.append)
                results[i].update(end=time.monotonic(), ok=timing.ok, log="\n".join(lines), meta=timing.metadata)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i].update(ok=False, log=repr(exc), end=time.monotonic())

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(slugs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def _no_double_writes(tenant_id: str, n_docs: int) -> None:
    snap = graph_snapshot(tenant_id)
    assert snap["node_key_dupes"] == snap["edge_dupes"] == snap["chunk_dupes"] == snap["embedding_dupes"] == 0
    assert all(v == 0 for v in snap["orphans"].values()), snap["orphans"]
    assert len(snap["files"]) == n_docs
    assert sum(1 for n in snap["nodes"] if n[1] == "document") == n_docs
    # every node and edge was created exactly once: one 'c' event per entity in the outbox
    doubled = rows(tenant_id, """SELECT count(*) FROM (SELECT entity_id FROM change_outbox WHERE op = 'c'
                                  GROUP BY entity_type, entity_id HAVING count(*) > 1) d""")[0][0]
    assert doubled == 0, f"{doubled} entities were created twice"


def test_same_tenant_twice_at_once_does_not_double_write(s3_tenant: Any) -> None:
    tenant_id, slug = s3_tenant("same-twice")
    put_objects(slug, tiny_docs(12, seed=31))
    results = _parallel_runs([slug, slug])
    for r in results:
        assert r.get("ok"), r.get("log")
    _no_double_writes(tenant_id, 12)
    # the second run found the work done (or did the rest): together they parsed each document once
    parsed = [r["meta"].get("source_documents", {}).get("documents_parsed", 0) for r in results]
    assert sum(parsed) == 12, parsed


def test_two_tenants_run_in_parallel(s3_tenant: Any) -> None:
    a_id, a_slug = s3_tenant("par-a")
    b_id, b_slug = s3_tenant("par-b")
    put_objects(a_slug, tiny_docs(8, seed=41))
    put_objects(b_slug, tiny_docs(8, seed=42))
    results = _parallel_runs([a_slug, b_slug])
    for r in results:
        assert r.get("ok"), r.get("log")
    (s1, e1), (s2, e2) = [(r["start"], r["end"]) for r in results]
    overlap = min(e1, e2) - max(s1, s2)
    assert overlap > 0, f"the two tenants' runs did not overlap ({results[0]['end'] - results[0]['start']:.1f} s, " \
                        f"{results[1]['end'] - results[1]['start']:.1f} s)"
    _no_double_writes(a_id, 8)
    _no_double_writes(b_id, 8)
    # each tenant holds exactly its own documents
    for tid, slug in ((a_id, a_slug), (b_id, b_slug)):
        paths = [r[0] for r in rows(tid, "SELECT storage_path FROM files")]
        assert paths and all(p.startswith(f"{slug}/") for p in paths)
    print(f"\nparallel tenants: runs overlapped for {overlap:.1f} s")


def test_tenant_lock_serializes_one_tenant_and_not_two(graph_store: Any, make_tenant: Any) -> None:
    a, _ = make_tenant("lock-a")
    b, _ = make_tenant("lock-b")
    spans: dict[str, list[tuple[float, float]]] = {a: [], b: []}

    def hold(tid: str) -> None:
        with graph_store.tenant_lock(tid):
            t0 = time.monotonic()
            time.sleep(1.0)
            spans[tid].append((t0, time.monotonic()))

    threads = [threading.Thread(target=hold, args=(t,)) for t in (a, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    (x0, x1), (y0, y1) = sorted(spans[a])
    assert y0 >= x1 - 0.05, "two holders of one tenant's lock overlapped"
    (b0, b1), = spans[b]
    assert min(b1, x1) - max(b0, x0) > 0.5 or min(b1, y1) - max(b0, y0) > 0.5, "tenant B waited for tenant A's lock"


def test_tenant_lock_times_out_with_a_transient_error(graph_store: Any, make_tenant: Any) -> None:
    a, _ = make_tenant("lock-timeout")
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with graph_store.tenant_lock(a):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert held.wait(10)
        with pytest.raises(TransientError, match="locked by another run"):
            with graph_store.tenant_lock(a, wait_seconds=1):
                pass
    finally:
        release.set()
        t.join(timeout=10)
    with graph_store.tenant_lock(a, wait_seconds=2):  # released with its holder
        pass
