"""The vector indexes the vector_index asset keeps on nodes_v2.embedding_384 (glyph_io/stores/indexes.py), in a
scratch database of its own: the IVFFlat index appears once the table passes its size threshold, is sized to the
table, is rebuilt concurrently when the list count is off, serves the app's RLS-only SQL with its database
defaults, and a re-run does nothing. Real PostgreSQL + pgvector; thresholds scaled down so a few thousand rows do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
import pytest

from glyph_io.graph_store import GraphStore
from glyph_io.sql import migrate
from glyph_io.stores.indexes import INDEX, IVF_INDEX, IvfSizing

APP_SQL = "SELECT id FROM nodes_v2 ORDER BY embedding_384 <=> %s::vector LIMIT 10"  # the app's: RLS decides
SMALL = IvfSizing(min_rows=5000, rows_per_list=100, min_lists=10)


def _vectors(n: int, rng: np.random.Generator, centres: np.ndarray) -> list[str]:
    """n unit vectors around random centres (clustered, as sentence embeddings are), as pgvector text."""
    x = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.standard_normal((n, 384)) / np.sqrt(384)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return ["[" + ",".join(f"{v:.5f}" for v in row) + "]" for row in x]


def _add_nodes(owner: str, tenant: str, vectors: list[str]) -> None:
    with psycopg.connect(owner) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        conn.execute("INSERT INTO nodes_v2 (tenant_id, kind, embedding_384) "
                     "SELECT %s, 'entity', v::vector FROM unnest(%s::text[]) v", (tenant, vectors))
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("ANALYZE nodes_v2")  # the row count the sizing reads (pg_stat) is current at once


@pytest.fixture(scope="module")
def scratch(scratch_databases: Callable[[str], str], db: dict[str, str], kit: Any) -> dict[str, Any]:
    """A migrated scratch database with three tenants of 2,000 clustered vectors each, and a GraphStore on it."""
    owner = scratch_databases("ivf")
    migrate(owner)
    name = psycopg.conninfo.conninfo_to_dict(owner)["dbname"]
    tenants = [str(uuid.uuid4()) for _ in range(3)]
    with psycopg.connect(owner) as conn:
        for t in tenants:
            conn.execute("INSERT INTO tenants (id, slug, name) VALUES (%s, %s, 'ivf test')", (t, f"ivf-{t[:8]}"))
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((40, 384))
    for t in tenants:
        _add_nodes(owner, t, _vectors(2000, rng, centres))
    store = GraphStore(app_dsn=kit.dsn_for_db(db["app"], name), owner_dsn=owner)
    yield {"owner": owner, "tenants": tenants, "store": store, "rng": rng, "centres": centres}
    store.close()


def test_sizing_is_rows_per_list_within_bounds() -> None:
    sizing = IvfSizing()
    assert [sizing.lists(r) for r in (0, 200_000, 1_000_000, 1_500_000, 10**9)] == [100, 200, 1000, 1500, 2000]
    assert not sizing.wanted(199_999) and sizing.wanted(200_000)
    assert not sizing.off(1000, 1_050_000) and sizing.off(1000, 1_150_000) and sizing.off(1000, 850_000)
    # pgvector refused 1,000 lists with "memory required is 273 MB": the setting covers that with a margin
    assert sizing.build_memory_mb(100) == 256 and 273 * 1.2 < sizing.build_memory_mb(1000) < 500


def test_ivfflat_follows_the_table_and_serves_the_app_sql(scratch: dict[str, Any], db: dict[str, str],
                                                           kit: Any) -> None:
    store: GraphStore = scratch["store"]
    owner, (a, b, _) = scratch["owner"], scratch["tenants"]

    below = store.indexes.build(rebuild=False, sizing=IvfSizing(min_rows=50_000))
    assert below.ivfflat == "not needed (6,000 rows < 50,000)" and store.indexes.status(IVF_INDEX) is None
    assert below.hnsw in ("built", "none") and store.indexes.status(INDEX).method == "hnsw"

    built = store.indexes.build(rebuild=False, sizing=SMALL)
    assert built.ivfflat == "built (60 lists)", built
    status = store.indexes.status(IVF_INDEX)
    assert status is not None and (status.method, status.valid, status.lists) == ("ivfflat", True, 60)
    assert store.indexes.build(rebuild=False, sizing=SMALL).ivfflat == "none"  # idempotent

    _add_nodes(owner, a, _vectors(3000, scratch["rng"], scratch["centres"]))  # 9,000 rows: 90 lists wanted
    resized = store.indexes.build(rebuild=False, sizing=SMALL)
    assert resized.ivfflat == "rebuilt concurrently (resized, 60 -> 90 lists)", resized
    status = store.indexes.status(IVF_INDEX)
    assert status is not None and (status.valid, status.lists) == (True, 90)
    assert store.indexes.build(rebuild=True, sizing=SMALL).ivfflat == "rebuilt concurrently (rows changed, 90 lists)"
    with psycopg.connect(owner) as conn:
        built_at = conn.execute("SELECT method FROM index_maintenance WHERE index_name = %s", (IVF_INDEX,)).fetchone()
    assert built_at == ("ivfflat",)

    # the app's role reads the database defaults of sql/17 (and sql/12's iterative scan)
    name = psycopg.conninfo.conninfo_to_dict(owner)["dbname"]
    with psycopg.connect(kit.dsn_for_db(db["app"], name)) as app:
        assert [app.execute(f"SHOW {s}").fetchone()[0] for s in
                ("ivfflat.probes", "ivfflat.max_probes", "ivfflat.iterative_scan")] == ["5", "100", "relaxed_order"]

    # the app's SQL through the IVFFlat index (the other paths dropped in a transaction that is rolled back):
    # only tenant b's rows, the full ten, nearly the exact answer
    q = _vectors(1, scratch["rng"], scratch["centres"])[0]
    with psycopg.connect(owner) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (b,))
        conn.execute("SET LOCAL enable_indexscan = off")
        exact = {r[0] for r in conn.execute(APP_SQL, (q,)).fetchall()}
        conn.execute("RESET enable_indexscan")
        conn.execute(f"DROP INDEX {INDEX}, nodes_v2_tenant_created_idx, nodes_v2_tenant_kind_created_idx")
        conn.execute("ALTER TABLE nodes_v2 DROP CONSTRAINT nodes_v2_tenant_id_external_key_key, "
                     "DROP CONSTRAINT nodes_v2_tenant_id_id_key CASCADE")
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL ivfflat.probes = 5")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + APP_SQL, (q,)).fetchall())
        assert IVF_INDEX in plan, plan
        got = [r[0] for r in conn.execute(APP_SQL, (q,)).fetchall()]
        conn.rollback()
    with psycopg.connect(kit.dsn_for_db(db["superuser"], name)) as su:  # outside RLS: whose rows came back
        owners = {r[0] for r in su.execute("SELECT DISTINCT tenant_id::text FROM nodes_v2 WHERE id = ANY(%s)",
                                           (got,)).fetchall()}
    assert len(got) == 10 and owners == {b}
    assert len(exact & set(got)) >= 9, (exact, got)
