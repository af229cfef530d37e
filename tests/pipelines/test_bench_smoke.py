"""`glyph bench` at tiny scale: every row of the spec's table gets numbers, recall is a fraction. No timing asserts.

Runs in its own database (`<main>_bench_smoke`) so it never touches a benchmark loaded in the bench database, and
removes it (with its bench- tenants) afterwards.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from glyph_tools.bench import BenchDB, database_of


@pytest.mark.timeout(120)
def test_bench_tiny(env: dict[str, str], tmp_path: Path) -> None:
    from glyph_tools.bench.cli import drop, run_bench
    from glyph_tools.bench.queries import OPERATIONS
    from glyph_tools.bench.synthetic import Scale, bench_tenants

    db = BenchDB.from_env(database_of(env["GLYPH_DATABASE_URL"]) + "_bench_smoke")
    logs: list[str] = []
    try:
        result, jpath, mpath = run_bench(
            db, Scale(tenants=2, nodes=4_000, edges_per_node=5, days=2), iterations=20, warmup=5,
            recall_probes=5, skip_load=False, skip_pipeline=True, out_dir=tmp_path, log=logs.append)
        assert {slug for _, slug in bench_tenants(db)} == {"bench-00", "bench-01"}
        ops = result["queries"]["operations"]
        assert [o["operation"] for o in ops] == [label for _, label, _, _ in OPERATIONS]
        for o in ops:
            for key in ("p50_ms", "p95_ms", "p99_ms", "tx_p95_ms"):
                assert isinstance(o[key], float) and math.isfinite(o[key]) and o[key] >= 0, (o["operation"], key)
            assert o["iterations"] == 20 and o["rows_mean"] > 0, o
        recall = result["queries"]["recall"]
        assert 0.0 <= recall["overall"] <= 1.0
        assert recall["by_tenant_size"], "recall per tenant size missing"
        for v in recall["by_tenant_size"].values():
            assert 0.0 <= v["recall_at_10"] <= 1.0
        load = result["load"]
        assert load["rows"]["nodes_v2"] == 4_000 and load["rows"]["edges_v2"] == 20_000
        assert all(r > 0 for r in load["rows_per_s"].values())
        assert result["machine"]["postgresql"] and result["machine"]["pgvector"]
        saved: dict[str, Any] = json.loads(jpath.read_text())
        assert saved["queries"]["operations"][0]["p95_ms"] == ops[0]["p95_ms"]
        md = mpath.read_text()
        for _, label, _, _ in OPERATIONS:
            row = next(line for line in md.splitlines() if line.startswith(f"| {label} |"))
            assert " ms |" in row and "n/a" not in row.split("|")[3], row
    finally:
        drop(db, log=logs.append, main_too=False)
    assert not _database_exists(env, db.database)


def _database_exists(env: dict[str, str], name: str) -> bool:
    import psycopg

    with psycopg.connect(env["GLYPH_SUPERUSER_DATABASE_URL"], autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@pytest.mark.timeout(240)
def test_extraction_cost_compares_fresh_tenants_with_extraction_off_and_on(env: dict[str, str],
                                                                          tmp_path: Path) -> None:
    """`glyph bench --corpus DIR --extraction-cost 1`: one pair of real runs; the "off" run really skips the entity
    stage and the "on" run really builds it (the comparison measures what it says), and nothing is left behind."""
    from glyph_tools.bench import extraction_cost

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ada.md").write_text("# Ada Lovelace\n\nAda Lovelace worked with Charles Babbage on the Analytical "
                                   "Engine in London.\n")
    (corpus / "engine.txt").write_text("The Analytical Engine was designed by Charles Babbage.\n")
    result = extraction_cost.run(corpus, 1, None, log=lambda _: None)
    off, on = result["runs"]["off"][0], result["runs"]["on"][0]
    assert off["stages"]["entity_graph"] < on["stages"]["entity_graph"]
    assert result["pairs"] == 1 and result["documents"] == 2
    assert result["added_stages_pct"] == round(100 * (on["stages_s"] / off["stages_s"] - 1), 1)
    text = extraction_cost.render(result)
    assert "| entity_graph |" in text and "**all stages**" in text
    import psycopg

    from glyph_tools.bench import with_database

    with psycopg.connect(with_database(env["GLYPH_SUPERUSER_DATABASE_URL"],
                                       database_of(env["GLYPH_DATABASE_URL"]))) as conn:
        left = conn.execute("SELECT count(*) FROM tenants WHERE slug LIKE 'bench-cost-%'").fetchone()
    assert left == (0,)


def test_the_many_tenant_shapes_are_skewed_and_topical_vectors_stay_on_their_tenants_topics() -> None:
    """The 10,000-tenant variant keeps every size class and a long Zipf tail; a tenant's topical vectors (loader and
    queries agree by slug) sit on its own subtopic centres."""
    import numpy as np

    from glyph_tools.bench.synthetic import Scale, VectorModel, tenant_shares, tenant_sizes

    shares = tenant_shares(10_000)
    assert len(shares) == 10_000 and abs(sum(shares) - 1.0) < 1e-9
    assert shares[:5] == [0.5, 0.1, 0.024, 0.01, 0.0001]
    tail = shares[5:]
    assert tail == sorted(tail, reverse=True) and tail[0] > 50 * tail[-1]
    sizes = tenant_sizes(Scale(tenants=10_000, nodes=1_000_000))
    assert sizes[:5] == [500_000, 100_000, 24_000, 10_000, 100] and sorted(sizes)[5_000] < 50
    assert tenant_shares(20)[4:] == [tenant_shares(20)[4]] * 16  # the default scale is unchanged

    model = VectorModel()
    centres = model.tenant_centres("bench-03", 10_000)
    assert np.array_equal(centres, model.tenant_centres("bench-03", 10_000))
    assert len(centres) == 29 * model.subtopics and len(model.tenant_centres("bench-00", 500_000)) == 200 * 20
    points = model.sample(200, np.random.default_rng(1), centres)
    nearest = np.argmax(points @ model.centres.T, axis=1)
    assert np.isin(nearest, centres).mean() > 0.9
