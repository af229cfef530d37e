"""Other ingestion tools on the same documents, timed as whole processes (../shared/peers/*_ingest.py).

Each peer runs in its own virtualenv (outside the repository; `--peer NAME=PYTHON`) against a scratch database of
the local cluster, created here and dropped afterwards, with `--reset` (a full run). Its wall time is measured
around the process, like `glyph run`'s: start-up and model import included. Only ratios measured in the same
bench run mean anything on a shared machine.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Log = Callable[[str], None]
SCRIPTS = {"raw": "raw_ingest.py", "llamaindex": "llamaindex_ingest.py", "cocoindex": "cocoindex_ingest.py"}


@dataclass(frozen=True)
class PeerRun:
    name: str
    wall_s: float
    docs: int
    chunks: int
    ok: bool
    detail: dict[str, Any]

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.wall_s if self.wall_s and self.ok else 0.0


def default_peers_dir(project_root: Path) -> Path | None:
    for candidate in (project_root.parent / "shared" / "peers", project_root / "peers"):
        if candidate.is_dir():
            return candidate
    return None


@contextmanager
def scratch_database(superuser: str, log: Log) -> Iterator[str]:
    """A fresh database with the vector extension, dropped on exit; yields its superuser DSN."""
    import psycopg
    from psycopg import sql

    from glyph_tools.bench import with_database

    name = f"glyph_peers_{uuid.uuid4().hex[:8]}"
    admin = with_database(superuser, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_database(superuser, name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        yield dsn
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        log(f"peers: dropped scratch database {name}")


def run_peer(name: str, python: str, peers_dir: Path, docs: Path, dsn: str, workdir: Path, log: Log) -> PeerRun:
    """One full (--reset) run of a peer over `docs`; its JSON line gives the documents and chunks it ingested."""
    script = peers_dir / SCRIPTS.get(name, f"{name}_ingest.py")
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run([python, str(script), str(docs), dsn, "--reset"], cwd=workdir, capture_output=True,
                          text=True, timeout=3600, check=False)
    wall = time.perf_counter() - started
    detail: dict[str, Any] = {}
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            detail = json.loads(line)
            break
        except ValueError:
            continue
    ok = done.returncode == 0 and bool(detail)
    if not ok:
        detail = {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"],
                  "returncode": done.returncode}
    run = PeerRun(name, round(wall, 2), int(detail.get("docs", 0) or 0),
                  int(detail.get("chunks", detail.get("chunks_embedded", 0)) or 0), ok, detail)
    log(f"peer {name}: {run.docs} docs in {run.wall_s:.1f} s = {run.docs_per_s:.2f} docs/s"
        + ("" if ok else f" (FAILED: {detail['error']})"))
    return run
