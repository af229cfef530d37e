"""4D glyph projection: node embeddings -> (x, y, z) by PCA, kept stable between runs (pure numpy).

A fresh PCA per run would flip axes and rotate the cloud whenever a few nodes change. So the basis is kept while
the tenant's node count stays within REFIT_SHARE of the count it was fitted on: an edit places only the nodes it
changed, and nothing else moves (no glyph rewritten, no event). When the tenant has grown or shrunk more than that,
the new fit is blended with the previous basis and rotated onto it (orthogonal Procrustes), so glyphs move little.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCALE = 100.0  # the app draws positions in roughly [-100, 100]
REFIT_SHARE = 0.25  # refit when the node count moved by more than this share since the last fit


@dataclass(frozen=True)
class Projection:
    mean: np.ndarray  # (d,)
    components: np.ndarray  # (3, d), orthonormal rows
    n_fit: int
    version: int
    fitted_nodes: int = 0  # nodes of the tenant when this basis was fitted (0: unknown, refit at the next change)

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """(n, d) vectors -> (n, 3) coordinates, scaled and clipped to the drawing range."""
        if len(vectors) == 0:
            return np.zeros((0, 3))
        coords = (vectors - self.mean) @ self.components.T
        return np.asarray(np.clip(coords * SCALE, -SCALE * 4, SCALE * 4), dtype=np.float64)


def _pca(vectors: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    mean = vectors.mean(axis=0)
    centered = vectors - mean
    if len(vectors) < 2:
        comps = np.eye(k, vectors.shape[1])
        return mean, comps
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    comps = vt[:k]
    if comps.shape[0] < k:  # fewer samples than axes: pad with orthonormal completions
        pad = np.eye(k, vectors.shape[1])[comps.shape[0]:]
        comps = np.vstack([comps, pad])
    return mean, comps


def _orthonormalize(m: np.ndarray) -> np.ndarray:
    q, r = np.linalg.qr(m.T)
    return (q * np.sign(np.diag(r))).T


def fit_projection(vectors: np.ndarray, previous: Projection | None, memory: float = 0.7,
                   fitted_nodes: int = 0) -> Projection:
    """Fit on this run's vectors, blended with `previous` (weight `memory` scaled by sample counts).

    The new basis is then rotated within its own span to best match the previous one, which removes sign
    flips and axis swaps between runs.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    mean, comps = _pca(vectors)
    if previous is None or previous.components.shape != comps.shape:
        # deterministic orientation: the largest-magnitude loading of each axis is positive
        signs = np.sign(comps[np.arange(comps.shape[0]), np.abs(comps).argmax(axis=1)])
        return Projection(mean, comps * signs[:, None], len(vectors), 1, fitted_nodes or len(vectors))
    w_prev = memory * previous.n_fit / (previous.n_fit + len(vectors))
    mean = w_prev * previous.mean + (1 - w_prev) * mean
    # Procrustes: rotation R (3x3) minimizing ||R @ comps - previous||
    u, _, vt = np.linalg.svd(previous.components @ comps.T)
    aligned = (u @ vt) @ comps
    blended = _orthonormalize(w_prev * previous.components + (1 - w_prev) * aligned)
    return Projection(mean, blended, previous.n_fit + len(vectors), previous.version + 1,
                      fitted_nodes or len(vectors))


FIT_SAMPLE = 20_000  # PCA on at most this many vectors; projecting all of them is cheap


def fingerprint(ids: Sequence[object], vectors: np.ndarray) -> str:
    """Identity of the vectors a projection would be fitted on: same ids and same vectors, same fingerprint."""
    h = hashlib.sha256()
    for node_id, vector in zip(ids, np.asarray(vectors, dtype=np.float32)):
        h.update(str(node_id).encode())
        h.update(hashlib.sha1(vector.tobytes()).digest())
    return h.hexdigest()


def plan_projection(ids: Sequence[object], vectors: np.ndarray, previous: Projection | None,
                    previous_fingerprint: str | None) -> tuple[Projection | None, str]:
    """The projection for this window: the previous one when the vectors are those it was fitted on, or when the
    tenant's node count stayed within REFIT_SHARE of the count it was fitted on (existing nodes keep their
    places); else a refit blended with it; None when the tenant has no vectors."""
    current = fingerprint(ids, vectors)
    if previous is not None and previous_fingerprint == current:
        return previous, current
    if not len(vectors):
        return None, current
    if previous is not None and previous.fitted_nodes and \
            abs(len(vectors) - previous.fitted_nodes) <= REFIT_SHARE * previous.fitted_nodes:
        return previous, current
    sample = vectors if len(vectors) <= FIT_SAMPLE else vectors[
        np.random.default_rng(0).choice(len(vectors), FIT_SAMPLE, replace=False)]
    return fit_projection(sample, previous, fitted_nodes=len(vectors)), current
