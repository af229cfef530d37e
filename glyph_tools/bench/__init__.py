"""`glyph bench`: synthetic multi-tenant graph, the spec's latency table, pipeline profile, freshness.

Modules: `synthetic` (generation + binary COPY), `queries` (the measured read paths as glyph_app under RLS),
`profile` (`glyph run` per stage on a corpus folder, with `peers` side by side), `freshness` (upload -> change event
through the daemon), `report` (table, JSON, Markdown), `cli`.

The synthetic graph lives in a dedicated database (default `<main database>_bench`, same cluster, same roles,
same migrations) so a million rows never slow down anyone's tests in the main database; its tenants' slugs start
with `bench-`. The pipeline measurement runs in the configured (main) database on fresh `bench-` tenants.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_PREFIX = "bench-"


def with_database(url: str, database: str) -> str:
    """The same DSN pointed at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def first(cursor: Any) -> Any:
    """The first column of a cursor's first row (None when there is none)."""
    row = cursor.fetchone()
    return None if row is None else row[0]


def superuser_url() -> str:
    """The bootstrap superuser (local services only): bulk loads and scratch databases, never measured queries."""
    url = os.environ.get("GLYPH_SUPERUSER_DATABASE_URL")
    if not url:
        raise RuntimeError("GLYPH_SUPERUSER_DATABASE_URL is not set: the benchmark loads its synthetic graph as the "
                           "bootstrap superuser of the local services (`glyph services up`)")
    return url


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@dataclass(frozen=True)
class BenchDB:
    """DSNs of the database the synthetic graph lives in, one per role."""

    database: str
    superuser: str  # bulk load only (session_replication_role = replica), never the measured queries
    owner: str      # migrations, tenant provisioning, index builds
    app: str        # every measured query (RLS-bound)

    @classmethod
    def from_env(cls, database: str | None = None) -> "BenchDB":
        from glyph_io.settings import settings

        owner = settings().need("database_url")
        database = database or database_of(owner) + "_bench"
        return cls(database=database, superuser=with_database(superuser_url(), database),
                   owner=with_database(owner, database),
                   app=with_database(settings().need("app_database_url"), database))

    @property
    def is_main(self) -> bool:
        return self.database == database_of(os.environ.get("GLYPH_DATABASE_URL", ""))
