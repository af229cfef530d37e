"""glyphs_4d: every live embedded node as a point (x, y, z) at the day window's time t, per tenant.

Day-partitioned (see assets/partitions.py for why not tenant x day); a run covers every active tenant or the
tenants named in the `glyph/tenants` tag, each in its own transaction. Positions come from a PCA basis kept in
`projection_state` and only refitted when the tenant's vectors changed, so a re-run moves nothing and emits nothing.
The materialization shows each tenant's picture (nodes by kind, top entities named) for up to PICTURES tenants.
"""

import base64
from datetime import datetime, timedelta, timezone

import dagster as dg
import numpy as np

from assets.partitions import day_partitions, tenants_from_tag
from assets.retries import TRANSIENT_RETRY, Materialized, retry_transient
from glyph_core.picture import picture_key, render_png
from glyph_core.projection import plan_projection
from glyph_io.cache import Cache
from glyph_io.embedder import Embedder
from glyph_io.graph_store import GraphStore
from glyph_io.logs import log_event, timed

PICTURES, LABELS = 10, 12  # tenants pictured per materialization (a daily run covers every tenant), names per picture


@dg.asset(partitions_def=day_partitions,
          deps=[dg.AssetDep("entity_graph", partition_mapping=dg.AllPartitionMapping())],
          retry_policy=TRANSIENT_RETRY, group_name="glyphs", kinds={"numpy", "postgres"}, tags={"glyph/stage": "glyphs"})
@retry_transient
def glyph_projections(context: dg.AssetExecutionContext, graph_store: GraphStore, embedder: Embedder,
                      cache: Cache) -> Materialized:
    """4D glyphs (x, y, z from a stable PCA of node embeddings; t = the day) of every selected tenant."""
    window = context.partition_time_window
    t, end = window.start.astimezone(timezone.utc), window.end.astimezone(timezone.utc)
    latest = end >= datetime.now(timezone.utc) - timedelta(days=1)
    per_tenant: dict[str, int] = {}
    pictures: dict[str, dg.MetadataValue] = {}
    with timed() as clock:
        for tenant in graph_store.tenants.active(tenants_from_tag(context.run.tags)):
            ids, kinds, vectors = graph_store.glyphs.window(tenant.id, end)
            previous, fingerprint = graph_store.glyphs.projection(tenant.id, embedder.model_key)
            projection, fingerprint = plan_projection(ids, vectors, previous, fingerprint)
            coords = projection.apply(vectors) if projection is not None else np.zeros((0, 3))
            graph_store.glyphs.write(tenant.id, t, embedder.model_key, ids, kinds, coords, projection, fingerprint,
                                     place_nodes=latest)
            per_tenant[tenant.slug] = len(ids)
            if len(pictures) < PICTURES and ids:
                row = {node: i for i, node in enumerate(ids)}
                labels = {row[n]: name for n, name in graph_store.glyphs.labels(tenant.id, LABELS).items() if n in row}
                png = picture(cache, coords, kinds, labels, f"{tenant.slug}, {t.date()}: {len(ids)} nodes")
                pictures[f"picture {tenant.slug}"] = dg.MetadataValue.md(
                    f"![{tenant.slug}](data:image/png;base64,{base64.b64encode(png).decode()})")
            log_event(context, f"{len(ids)} glyphs for {t.date()}", tenant=tenant.slug)
    return dg.MaterializeResult(metadata={
        "day": str(t.date()), "tenants": len(per_tenant), "glyphs": sum(per_tenant.values()),
        "glyphs_per_tenant": dg.MetadataValue.json(per_tenant), "updated_node_positions": latest, **pictures,
        "duration_s": clock.seconds})


def picture(cache: Cache, coords: np.ndarray, kinds: list[str], labels: dict[int, str], title: str) -> bytes:
    """The rendered PNG, from Redis when the same picture was drawn before (a no-change run draws nothing)."""
    key = picture_key(coords, kinds, labels, title)
    png = cache.get_blob(key)
    if png is None:
        png = render_png(coords, kinds, labels, title)
        cache.put_blob(key, png)
    return png
