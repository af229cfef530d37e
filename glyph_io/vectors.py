"""pgvector's text form <-> numpy, in one place (COPY text format and `::text` reads use it)."""

from __future__ import annotations

import numpy as np


def parse_vector(text: str) -> np.ndarray:
    """'[0.1,0.2,...]' (pgvector's output) -> float32 array."""
    return np.asarray(text.strip("[]").split(","), dtype=np.float32)


def vector_literal(vector: np.ndarray) -> str:
    """float array -> '[...]' for COPY; repr() keeps every float32 digit, so a round trip is exact."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"
