"""A picture of a tenant's graph as its glyphs place it: a PNG for the Dagster UI (matplotlib, Agg, no display).

The projected nodes (x, y of the glyph projection), coloured by kind as the Glyph Foundry app colours them, the
most important entities labelled. Small on purpose (about 30-60 KB): it lives in the run's event log.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence

import numpy as np

from glyph_core.graph import KIND_STYLE

DRAW_ORDER = ["chunk", "document", "concept", "entity"]  # entities on top


def picture_key(coords: np.ndarray, kinds: Sequence[str], labels: Mapping[int, str], title: str) -> str:
    """What the picture depends on, hashed: positions (rounded to what a pixel can show), kinds, labels, title."""
    digest = hashlib.sha256(np.round(np.asarray(coords, dtype=float)[:, :2], 3).tobytes() if len(coords) else b"")
    digest.update("\x1f".join(kinds).encode())
    digest.update(repr(sorted(labels.items())).encode())
    digest.update(title.encode())
    return f"picture:{digest.hexdigest()}"


def render_png(coords: np.ndarray, kinds: Sequence[str], labels: Mapping[int, str], title: str) -> bytes:
    """`coords` (n, >=2), `kinds` (n), `labels`: row index -> text. Deterministic for the same input."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), dpi=80)
    try:
        xy = np.asarray(coords, dtype=float)[:, :2] if len(coords) else np.zeros((0, 2))
        kind_array = np.asarray(kinds)
        for kind in DRAW_ORDER + sorted(set(kinds) - set(DRAW_ORDER)):
            mask = kind_array == kind
            if mask.any():
                colour = KIND_STYLE.get(kind, ("#888888", 1.0))[0]
                ax.scatter(xy[mask, 0], xy[mask, 1], s=10 if kind == "chunk" else 22, c=colour,
                           alpha=0.45 if kind == "chunk" else 0.85, linewidths=0, label=f"{kind} ({int(mask.sum())})")
        for row, text in sorted(labels.items()):
            ax.annotate(text[:28], xy[row], fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if len(xy):
            ax.legend(loc="lower right", fontsize=7, frameon=False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(fig)
