"""Helpers for the fault-injection tests: real services, real objects, real runs; nothing is mocked.

Each test makes its own tenants (`make_tenant`) and its own S3 objects under `<slug>/...`. Tests that stop a
service always start it again in a `finally`, and `services_up` (autouse) makes sure every service is up before a
test starts, so one broken test cannot take the rest of the suite down with it.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
GLYPH = str(ROOT / ".venv" / "bin" / "glyph")
PY = sys.executable

WORDS = ("graph vector tenant glyph outbox kafka embedding chunk document policy isolation retry broker store "
         "partition window concept cluster lattice prism signal sensor anchor beacon cipher harbor meadow river "
         "summit canyon forest orbit quartz ember falcon willow cedar basalt granite marble copper silver").split()


# ------------------------------------------------------------------------------------------------ services


def service(action: str, name: str, timeout: float = 150) -> None:
    """`glyph services <action> <name>` (action: up/down); raises with its output when it fails."""
    proc = subprocess.run([GLYPH, "services", action, name], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"glyph services {action} {name} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")


def service_status() -> dict[str, bool]:
    from glyph_tools import services

    return services.status()


@contextmanager
def service_down(name: str, keep_down: bool = True) -> Iterator[dict[str, int]]:
    """Stop one service for the duration of the block; it is ALWAYS started again, even when the block fails.

    The services are shared with whoever else works on this machine (a `glyph services up` elsewhere restarts
    them): with `keep_down`, a watchdog stops the service again whenever it comes back during the block, and
    counts how often that happened (`stats["restarted_by_others"]`).
    """
    import threading

    stats = {"restarted_by_others": 0}
    service("down", name)
    stop = threading.Event()

    def watchdog() -> None:
        while not stop.wait(0.3):
            if service_status().get(name):
                stats["restarted_by_others"] += 1
                try:
                    service("down", name)
                except Exception:  # noqa: BLE001 - the next tick tries again
                    pass

    thread = threading.Thread(target=watchdog, daemon=True)
    if keep_down:
        thread.start()
    try:
        yield stats
    finally:
        stop.set()
        if keep_down:
            thread.join(timeout=30)
        service("up", name)
        _wait_service(name)


def _wait_service(name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service_status().get(name):
            if name != "s3" or _s3_ok():
                return
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not come back within {timeout:.0f} s")


def _s3_ok() -> bool:
    try:
        s3_client().list_buckets()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(autouse=True)
def services_up() -> None:
    """Every service is up before a fault test starts (a crashed earlier test may have left one down)."""
    down = [n for n, ok in service_status().items() if not ok]
    for name in down:
        service("up", name)
        _wait_service(name)


# ------------------------------------------------------------------------------------------------ S3


def bucket() -> str:
    return os.environ.get("GLYPH_S3_BUCKET", "glyph-documents")


def s3_client() -> Any:
    from minio import Minio

    return Minio(os.environ["GLYPH_S3_ENDPOINT"], os.environ["GLYPH_S3_ACCESS_KEY"], os.environ["GLYPH_S3_SECRET_KEY"],
                 secure=os.environ.get("GLYPH_S3_SECURE", "false").lower() in {"1", "true", "yes", "on"})


def put_objects(slug: str, docs: dict[str, bytes]) -> list[str]:
    """Upload `docs` (tenant-relative key -> bytes) under `<slug>/`; returns the full keys."""
    client = s3_client()
    if not client.bucket_exists(bucket()):
        client.make_bucket(bucket())
    keys = []
    for rel, data in docs.items():
        key = f"{slug}/{rel}"
        client.put_object(bucket(), key, io.BytesIO(data), len(data), content_type="text/plain")
        keys.append(key)
    return keys


def remove_prefix(slug: str) -> None:
    client = s3_client()
    for obj in client.list_objects(bucket(), prefix=f"{slug}/", recursive=True):
        try:
            client.remove_object(bucket(), obj.object_name)
        except Exception:  # noqa: BLE001 - best-effort clean-up
            pass


@pytest.fixture()
def s3_tenant(make_tenant: Callable[[str], tuple[str, str]]) -> Iterator[Callable[[str], tuple[str, str]]]:
    """make_tenant + removal of the tenant's objects afterwards."""
    slugs: list[str] = []

    def make(prefix: str = "t") -> tuple[str, str]:
        tid, slug = make_tenant(prefix)
        slugs.append(slug)
        return tid, slug

    yield make
    if _s3_ok():
        for slug in slugs:
            remove_prefix(slug)


def tiny_docs(n: int, seed: int, words: int = 40, folder: str = "docs") -> dict[str, bytes]:
    """`n` small distinct text documents (one chunk each), deterministic for a seed."""
    rng = random.Random(seed)
    out: dict[str, bytes] = {}
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(words))
        out[f"{folder}/doc-{i:04d}.txt"] = f"Document {i} of set {seed}\n\n{body}.\n".encode()
    return out


# ------------------------------------------------------------------------------------------------ runs


def run(name: str, instance: dg.DagsterInstance, partition_key: str | None = None,
        tags: dict[str, str] | None = None) -> Any:
    from glyph_tools.runner import ensure_tenant_partitions

    if partition_key is not None and name == "tenant_ingest":
        ensure_tenant_partitions(instance, [partition_key])
    lines: list[str] = []
    from glyph_tools.runner import run_job

    timing = run_job(name, partition_key=partition_key, tags=tags, instance=instance, log=lines.append)
    if not timing.ok:
        lines.append(failure_messages(instance))
    timing.log = "\n".join(lines)  # type: ignore[attr-defined]
    return timing


def _error_chain(error: Any) -> str:
    """A serialized error and its causes/contexts, outermost first ("Exceeded max_retries" <- Failure <- ...)."""
    parts, seen = [], 0
    while error is not None and seen < 10:
        parts.append(error.message.strip())
        error = error.cause or error.context
        seen += 1
    return " <- ".join(parts)


def failure_messages(instance: dg.DagsterInstance) -> str:
    """Every step-failure and retry message of every run in the instance (to check what a failure says)."""
    out = []
    for record in instance.get_run_records():
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                out.append(f"step failure: {_error_chain(event.step_failure_data.error)}")
            elif event.is_step_up_for_retry and event.step_retry_data and event.step_retry_data.error:
                out.append(f"retry: {_error_chain(event.step_retry_data.error)}")
            elif event.is_run_failure:
                out.append(f"run failure: {entry.message}")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ database


@contextmanager
def tenant_conn(tenant_id: str) -> Iterator[psycopg.Connection[Any]]:
    """glyph_app connection inside one transaction scoped to the tenant."""
    with psycopg.connect(os.environ["GLYPH_APP_DATABASE_URL"]) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant_id,))
        yield conn


def rows(tenant_id: str, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    with tenant_conn(tenant_id) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def graph_snapshot(tenant_id: str, slug: str | None = None) -> dict[str, Any]:
    """Tenant-independent picture of a tenant's graph: comparable between two tenants fed the same input.

    Object keys lose their `<slug>/` prefix; a `tag:<slug>` concept becomes `tag:<tenant>`; document content
    hashes are left out when a slug is given (parse_document hashes the key-derived tags, which include the slug:
    see test_tenant_prefix_is_not_a_document_tag).
    """

    def rel(key: str | None) -> str | None:  # strip the slug from object keys: `doc:<slug>/x` -> `doc:x`
        if key is None:
            return None
        head, sep, rest = key.partition(":")
        if head in ("doc", "chunk") and "/" in rest:
            return f"{head}:{rest.split('/', 1)[1]}"
        if slug and head == "tag" and rest == slug:
            return "tag:<tenant>"
        return key

    nodes = rows(tenant_id, "SELECT external_key, kind::text, content_hash FROM nodes_v2 WHERE deleted_at IS NULL")
    edges = rows(tenant_id, """
        SELECT s.external_key, d.external_key, e.edge_type::text
        FROM edges_v2 e JOIN nodes_v2 s ON s.id = e.src_id JOIN nodes_v2 d ON d.id = e.dst_id""")
    chunks = rows(tenant_id, """
        SELECT f.storage_path, c.chunk_index, c.content_hash FROM file_chunks c JOIN files f ON f.id = c.file_id""")
    embeds = rows(tenant_id, "SELECT obj_id, model, count(*) FROM embeddings_v2 GROUP BY 1, 2")
    files = rows(tenant_id, "SELECT storage_path, processing_status::text, content_hash FROM files")
    orphans = rows(tenant_id, """
        SELECT
          (SELECT count(*) FROM edges_v2 e WHERE NOT EXISTS (SELECT 1 FROM nodes_v2 n WHERE n.id = e.src_id)
                                              OR NOT EXISTS (SELECT 1 FROM nodes_v2 n WHERE n.id = e.dst_id)),
          (SELECT count(*) FROM file_chunks c WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = c.file_id)),
          (SELECT count(*) FROM embeddings_v2 m WHERE m.obj_type::text = 'chunk'
                 AND NOT EXISTS (SELECT 1 FROM file_chunks c WHERE c.id = m.obj_id)),
          (SELECT count(*) FROM file_chunks c WHERE c.node_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM nodes_v2 n WHERE n.id = c.node_id AND n.deleted_at IS NULL)),
          (SELECT count(*) FROM edges_v2 e JOIN nodes_v2 n ON n.id IN (e.src_id, e.dst_id) WHERE n.deleted_at IS NOT NULL)
        """)[0]
    node_keys = [rel(k) for k, _, _ in nodes]
    edge_keys = [(rel(s), rel(d), t) for s, d, t in edges]
    chunk_keys = [(rel("chunk:" + p).split(":", 1)[1], i, h) for p, i, h in chunks]  # type: ignore[union-attr]
    return {
        "nodes": sorted((rel(k), kind, None if slug and kind in ("document", "concept") else h) for k, kind, h in nodes),
        "node_key_dupes": len(node_keys) - len(set(node_keys)),
        "edges": sorted(set(edge_keys)),
        "edge_dupes": len(edge_keys) - len(set(edge_keys)),
        "chunks": sorted(set(chunk_keys)),
        "chunk_dupes": len(chunk_keys) - len(set(chunk_keys)),
        "embedding_dupes": sum(1 for *_, n in embeds if n > 1),
        "files": sorted((rel("doc:" + p).split(":", 1)[1], s, None if slug else h)  # type: ignore[union-attr]
                        for p, s, h in files),
        "orphans": dict(zip(["edges_without_node", "chunks_without_file", "embeddings_without_chunk",
                             "chunks_pointing_at_dead_node", "edges_at_deleted_node"], orphans)),
    }


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
