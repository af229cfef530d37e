"""glyphs_4d: every live embedded node as a point (x, y, z) at the day window's time t, per tenant.

Day-partitioned (see pipelines/base/partitions.py for why not tenant x day); a run covers every active tenant or
the tenants named in the `glyph/tenants` tag, each in its own transaction. Positions come from a PCA basis kept in
`projection_state` and only refitted when the tenant's vectors changed, so a re-run moves nothing and emits nothing.
"""


import hashlib
import time
from datetime import datetime, timedelta, timezone

import dagster as dg
import numpy as np

from glyph_core.projection import Projection, fit_projection
from glyph_io.logs import log_event
from assets.partitions import day_partitions, tenants_from_tag
from glyph_io.resources import Embedder, GraphStore
from assets.retries import TRANSIENT_RETRY, retry_transient
from glyph_io.sql import load_sql
from glyph_io.vectors import parse_vector

FIT_SAMPLE = 20_000  # PCA on at most this many vectors; projecting all of them is cheap


def _fingerprint(ids: list[str], vectors: list[str]) -> str:
    h = hashlib.sha256()
    for i, v in zip(ids, vectors):
        h.update(i.encode())
        h.update(hashlib.sha1(v.encode()).digest())
    return h.hexdigest()


@dg.asset(
    partitions_def=day_partitions,
    deps=[dg.AssetDep("knowledge_graph", partition_mapping=dg.AllPartitionMapping())],
    retry_policy=TRANSIENT_RETRY,
    group_name="glyphs",
    kinds={"numpy", "postgres"},
    tags={"glyph/stage": "glyphs"},
)
@retry_transient
def glyph_projections(context: dg.AssetExecutionContext, graph_store: GraphStore,
                      embedder: Embedder) -> dg.MaterializeResult:
    """4D glyphs (x, y, z from a stable PCA of node embeddings; t = the day) of every selected tenant."""
    started = time.perf_counter()
    window = context.partition_time_window
    t = window.start.astimezone(timezone.utc)
    window_end = window.end.astimezone(timezone.utc)
    latest = window_end >= datetime.now(timezone.utc) - timedelta(days=1)
    wanted = tenants_from_tag(context.run.tags)
    tenants = [x for x in graph_store.tenants() if x.status != "suspended"]
    if wanted is not None:
        unknown = set(wanted) - {x.slug for x in tenants}
        if unknown:
            raise dg.Failure(f"unknown or suspended tenants in tag glyph/tenants: {', '.join(sorted(unknown))}")
        tenants = [x for x in tenants if x.slug in wanted]
    per_tenant: dict[str, int] = {}
    model = embedder.model_key
    for tenant in tenants:
        with graph_store.tenant_tx(tenant.id) as conn:
            rows = conn.execute(load_sql("nodes_for_window"),
                                {"tenant_id": tenant.id, "window_end": window_end}).fetchall()
            state = conn.execute(load_sql("get_projection"), {"tenant_id": tenant.id, "model": model}).fetchone()
            ids = [str(r[0]) for r in rows]
            fingerprint = _fingerprint(ids, [r[2] for r in rows])
            previous = None if state is None else Projection(np.asarray(state[0]), np.asarray(state[1]).reshape(3, -1),
                                                             int(state[2]), int(state[3]))
            vectors = np.asarray([parse_vector(r[2]) for r in rows]) \
                if rows else np.zeros((0, 384), dtype=np.float32)
            if previous is not None and state is not None and state[4] == fingerprint:
                projection = previous  # same vectors as last fit: identical positions, no events
            elif len(vectors):
                sample = vectors if len(vectors) <= FIT_SAMPLE else vectors[
                    np.random.default_rng(0).choice(len(vectors), FIT_SAMPLE, replace=False)]
                projection = fit_projection(sample, previous)
            else:
                projection = None
            coords = projection.apply(vectors) if projection is not None else np.zeros((0, 3))
            conn.execute(load_sql("create_stage_glyphs"))
            with conn.cursor().copy("COPY stage_glyphs FROM STDIN") as copy:
                for (node_id, kind, _), (x, y, z) in zip(rows, coords.tolist()):
                    copy.write_row((node_id, kind, x, y, z))
            params = {"tenant_id": tenant.id, "t": t, "model": model,
                      "version": projection.version if projection else 0}
            conn.execute(load_sql("upsert_glyphs"), params)
            conn.execute(load_sql("delete_stale_glyphs"), params)
            if latest:
                conn.execute(load_sql("place_nodes"), params)
            if projection is not None:
                conn.execute(load_sql("save_projection"), {
                    "tenant_id": tenant.id, "model": model, "mean": projection.mean.tolist(),
                    "components": projection.components.reshape(-1).tolist(), "n_fit": projection.n_fit,
                    "version": projection.version, "fingerprint": fingerprint})
        per_tenant[tenant.slug] = len(rows)
        log_event(context, f"{len(rows)} glyphs for {t.date()}", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "day": str(t.date()),
        "tenants": len(per_tenant),
        "glyphs": sum(per_tenant.values()),
        "glyphs_per_tenant": dg.MetadataValue.json(per_tenant),
        "updated_node_positions": latest,
        "duration_s": round(time.perf_counter() - started, 3),
    })
