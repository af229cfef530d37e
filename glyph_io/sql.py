"""The only module that reads SQL files: schema files for migrations and query files, from the `glyph_sql` package.

`sql/` at the project root is installed as the package `glyph_sql` (pyproject maps it), so an installed copy reads
exactly the files a checkout has, through importlib.resources, wherever it lives.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import psycopg
from psycopg import sql

MIGRATIONS_TABLE = "schema_migrations"


def sql_root() -> Traversable:
    """The folder of schema files (`03-…`, `05-…`, `10-…`) with `queries/` below it."""
    return files("glyph_sql")


@cache
def load_sql(name: str) -> str:
    """Text of `sql/queries/<name>.sql`; cached because queries run in hot loops."""
    path = sql_root() / "queries" / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no query file queries/{name}.sql in the glyph_sql package")
    return path.read_text(encoding="utf-8")


def composable(name: str) -> sql.SQL:
    """Query file `name` as a psycopg SQL template, for statements that need identifiers composed in (DDL)."""
    return sql.SQL(load_sql(name))  # the package's own file, never user input


def schema_files() -> list[Traversable]:
    """Ordered schema files: `03-…`, `05-…` (the spec's Quick Start) then the pipeline's own `10-…` and later."""
    return sorted((p for p in sql_root().iterdir() if p.name[:1].isdigit() and p.name.endswith(".sql")),
                  key=lambda p: p.name)


def migrate(dsn: str) -> list[str]:
    """Apply every schema file not yet recorded (or whose text changed), each in its own transaction.

    Files are idempotent, so a changed file is simply applied again, and so is every file after it: a later file
    may amend what an earlier one creates (16 sets plan_cache_mode on the functions that 05 re-creates).
    The checksum is recorded for the audit trail. Returns the names applied in this call.
    """
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(load_sql("create_schema_migrations"))
        done = {name: checksum for name, checksum in conn.execute(load_sql("list_schema_migrations")).fetchall()}
        for path in schema_files():
            text = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(text.encode()).hexdigest()
            if done.get(path.name) == checksum and not applied:
                continue
            with conn.transaction():
                # One advisory lock so two migrators (CI + a dev shell) never interleave files.
                conn.execute(load_sql("lock_migrations"))
                conn.execute(text.encode())  # a trusted file of the package, may hold many statements
                conn.execute(load_sql("record_schema_migration"), {"name": path.name, "checksum": checksum})
            applied.append(path.name)
    return applied
