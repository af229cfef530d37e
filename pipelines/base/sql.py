"""The only module that reads `sql/`: schema files for migrations and one-statement query files."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import psycopg

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
MIGRATIONS_TABLE = "schema_migrations"


@cache
def load_sql(name: str) -> str:
    """Text of `sql/queries/<name>.sql`; cached because queries run in hot loops."""
    path = SQL_DIR / "queries" / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no query file {path}")
    return path.read_text()


def schema_files() -> list[Path]:
    """Ordered schema files: `03-…`, `05-…` (the spec's Quick Start) then the pipeline's own `10-…` and later."""
    return sorted(p for p in SQL_DIR.glob("[0-9]*.sql"))


def migrate(dsn: str) -> list[str]:
    """Apply every schema file not yet recorded (or whose text changed), each in its own transaction.

    Files are idempotent, so a changed file is simply applied again; the checksum is recorded for the audit trail.
    Returns the names applied in this call.
    """
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
            " name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = dict(conn.execute(f"SELECT name, checksum FROM {MIGRATIONS_TABLE}").fetchall())
        for path in schema_files():
            text = path.read_text()
            checksum = hashlib.sha256(text.encode()).hexdigest()
            if done.get(path.name) == checksum:
                continue
            with conn.transaction():
                # One advisory lock so two migrators (CI + a dev shell) never interleave files.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('glyph-migrate'))")
                conn.execute(text)  # type: ignore[arg-type] - trusted file from the repo, may hold many statements
                conn.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (name, checksum) VALUES (%s, %s)"
                    " ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()",
                    (path.name, checksum),
                )
            applied.append(path.name)
    return applied
