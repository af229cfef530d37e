"""4D glyphs (glyphs_4d) of a tenant's day windows, node positions, and the projection basis they come from."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np

from glyph_core.projection import Projection
from glyph_io.bulk import merge
from glyph_io.database import Database, array, execute, tuples


class GlyphStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def window(self, tenant_id: str, window_end: datetime) -> tuple[list[UUID], list[str], np.ndarray]:
        """(ids, kinds, vectors) of the embedded nodes alive at the end of the window, by id."""
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "nodes_for_window", {"tenant_id": tenant_id, "window_end": window_end}, binary=True)
        if not found:
            return [], [], np.zeros((0, 384), dtype=np.float32)
        ids, kinds, vectors = zip(*found)
        return list(ids), list(kinds), np.stack([array(v) for v in vectors])

    def labels(self, tenant_id: str, limit: int) -> dict[UUID, str]:
        """Names of the tenant's most important entities, by node id (the labels of its picture)."""
        with self._db.tenant(tenant_id) as conn:
            return dict(tuples(conn, "top_entities", {"tenant_id": tenant_id, "limit": limit}))

    def projection(self, tenant_id: str, model: str) -> tuple[Projection | None, str | None]:
        """The tenant's last projection basis for `model` and the fingerprint of the vectors it was fitted on."""
        with self._db.tenant(tenant_id) as conn:
            found = tuples(conn, "get_projection", {"tenant_id": tenant_id, "model": model})
        if not found:
            return None, None
        mean, components, n_fit, version, fingerprint, fitted_nodes = found[0]
        return Projection(np.asarray(mean), np.asarray(components).reshape(3, -1), int(n_fit), int(version),
                          int(fitted_nodes)), fingerprint

    def write(self, tenant_id: str, t: datetime, model: str, ids: list[UUID], kinds: list[str], coords: np.ndarray,
              projection: Projection | None, fingerprint: str, place_nodes: bool) -> dict[str, int]:
        """Glyphs of the window (moved ones only), stale ones removed, node positions when it is the latest
        window, and the basis used; one transaction."""
        params: dict[str, Any] = {"tenant_id": tenant_id, "t": t, "model": model,
                                  "version": projection.version if projection else 0}
        rows = ((node_id, kind, float(x), float(y), float(z))
                for node_id, kind, (x, y, z) in zip(ids, kinds, np.asarray(coords).tolist()))
        statements = ["upsert_glyphs", "delete_stale_glyphs"] + (["place_nodes"] if place_nodes else [])
        with self._db.tenant(tenant_id) as conn:
            touched = merge(conn, "glyphs", rows, statements, params)
            if projection is not None:
                execute(conn, "save_projection", {
                    "tenant_id": tenant_id, "model": model, "mean": projection.mean.tolist(),
                    "components": projection.components.reshape(-1).tolist(), "n_fit": projection.n_fit,
                    "version": projection.version, "fingerprint": fingerprint,
                    "fitted_nodes": projection.fitted_nodes})
        return touched
