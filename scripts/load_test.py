#!/usr/bin/env python
"""Load test: N tenants x M tiny documents, ingested one tenant after another in one process (like a backfill).

    .venv/bin/python scripts/load_test.py                      # the full 100 tenants x 200 documents
    .venv/bin/python scripts/load_test.py --tenants 10 --docs 20 --keep

Needs the local services (`glyph services up`, then `eval "$(glyph services env)"`; read from .glyph/ otherwise).
Prints per-tenant timings, peak RSS (getrusage), errors, row counts; exits 1 if any run failed or counts are off.
Tenants are named `load-<run id>-<n>` and deleted (with their objects) at the end unless --keep.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = ("graph vector tenant glyph outbox kafka embedding chunk document policy isolation retry broker store "
         "partition window concept cluster lattice prism signal sensor anchor beacon cipher harbor meadow river "
         "summit canyon forest orbit quartz ember falcon willow cedar basalt granite marble copper silver").split()


def _load_env() -> None:
    from glyph_tools.services import load_local_env

    load_local_env()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _run_ok(run_job: Any, instance: Any, slug: str) -> bool:
    return bool(run_job("tenant_ingest", partition_key=slug, instance=instance, log=lambda _m: None).ok)


def run_load(n_tenants: int, n_docs: int, words: int = 30, keep: bool = False,
             log: Any = print) -> dict[str, Any]:
    """Create tenants, upload documents, ingest each tenant (run_job), then glyphs + publish once; report."""
    import dagster as dg
    import psycopg
    from minio import Minio

    from glyph_tools.runner import ensure_tenant_partitions, run_job

    run_id = uuid.uuid4().hex[:6]
    bucket = os.environ.get("GLYPH_S3_BUCKET", "glyph-documents")
    s3 = Minio(os.environ["GLYPH_S3_ENDPOINT"], os.environ["GLYPH_S3_ACCESS_KEY"], os.environ["GLYPH_S3_SECRET_KEY"],
               secure=os.environ.get("GLYPH_S3_SECURE", "false").lower() in {"1", "true", "yes", "on"})
    if not s3.bucket_exists(bucket):
        s3.make_bucket(bucket)
    tenants: list[tuple[str, str]] = []
    errors: list[str] = []
    timings: list[float] = []
    rss_start = peak_rss_mb()
    started = time.perf_counter()
    try:
        with psycopg.connect(os.environ["GLYPH_DATABASE_URL"], autocommit=True) as conn:
            for i in range(n_tenants):
                tid = str(uuid.uuid4())
                slug = f"load-{run_id}-{i:03d}"
                conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, %s)", (tid, slug, f"Load {i}"))
                tenants.append((tid, slug))
        rng = random.Random(run_id)
        for tid, slug in tenants:
            for d in range(n_docs):
                body = f"Load document {d} of {slug}\n\n" + " ".join(rng.choice(WORDS) for _ in range(words)) + ".\n"
                data = body.encode()
                s3.put_object(bucket, f"{slug}/load/doc-{d:04d}.txt", io.BytesIO(data), len(data))
        upload_s = time.perf_counter() - started
        log(f"{n_tenants} tenants x {n_docs} documents uploaded in {upload_s:.1f} s")
        with dg.DagsterInstance.ephemeral() as instance:
            ensure_tenant_partitions(instance, [s for _, s in tenants])
            for n, (tid, slug) in enumerate(tenants, 1):
                t0 = time.perf_counter()
                try:
                    if not _run_ok(run_job, instance, slug):
                        errors.append(f"{slug}: tenant_ingest failed")
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(f"{slug}: {type(exc).__name__}: {exc}")
                timings.append(time.perf_counter() - t0)
                if n % 10 == 0 or n == len(tenants):
                    log(f"  {n}/{len(tenants)} tenants ingested; last {timings[-1]:.1f} s; peak RSS {peak_rss_mb():.0f} MB")
        counts = []
        with psycopg.connect(os.environ["GLYPH_APP_DATABASE_URL"]) as conn:
            for tid, slug in tenants:
                with conn.transaction():
                    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tid,))
                    counts.append(conn.execute(
                        "SELECT (SELECT count(*) FROM files WHERE processing_status <> 'failed'),"
                        " (SELECT count(*) FROM nodes_v2 WHERE kind = 'document' AND deleted_at IS NULL),"
                        " (SELECT count(*) - count(DISTINCT external_key) FROM nodes_v2)").fetchone())
        wrong = [(slug, c) for (_, slug), c in zip(tenants, counts) if c[0] != n_docs or c[1] != n_docs or c[2] != 0]
        for slug, c in wrong:
            errors.append(f"{slug}: files {c[0]}, document nodes {c[1]}, duplicate keys {c[2]} (want {n_docs}/{n_docs}/0)")
    finally:
        if not keep:
            with psycopg.connect(os.environ["GLYPH_DATABASE_URL"], autocommit=True) as conn:
                for tid, _ in tenants:
                    conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tid,))
                    conn.execute("DELETE FROM tenants WHERE id = %s", (tid,))
            for _, slug in tenants:
                for obj in s3.list_objects(bucket, prefix=f"{slug}/", recursive=True):
                    s3.remove_object(bucket, obj.object_name)
    total = time.perf_counter() - started
    ordered = sorted(timings) or [0.0]
    report = {
        "tenants": n_tenants, "documents_per_tenant": n_docs, "documents": n_tenants * n_docs,
        "errors": errors, "total_s": round(total, 1),
        "tenant_run_s": {"p50": round(ordered[len(ordered) // 2], 2), "max": round(ordered[-1], 2)},
        "docs_per_s": round(n_tenants * n_docs / total, 1) if total else 0.0,
        "peak_rss_mb": round(peak_rss_mb(), 1), "rss_at_start_mb": round(rss_start, 1),
    }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--words", type=int, default=30, help="words per document (one chunk each)")
    parser.add_argument("--keep", action="store_true", help="keep the tenants and objects")
    args = parser.parse_args()
    _load_env()
    report = run_load(args.tenants, args.docs, args.words, keep=args.keep)
    print(json.dumps(report, indent=2))
    print(f"peak RSS {report['peak_rss_mb']} MB; {len(report['errors'])} errors")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
