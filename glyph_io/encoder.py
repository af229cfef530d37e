"""The encoder: worker processes that turn chunk texts into vectors, and their entity/concept mentions into vectors.

Why processes: on these CPUs two single-threaded encoders give about 10 % more chunks/s than one two-threaded torch
(measured: 29.9 vs 27.0 chunks/s), and their start-up (importing torch, sentence-transformers and spaCy, ~5 s)
runs in its own process, in parallel with whatever the run does first (listing, downloading, parsing). One
process (`python -m glyph_io.encoder_worker`) imports those libraries once, then forks the other workers, so the
import is paid once, not per worker; each worker talks to us over its own socket.

Why mentions here: a mention's vector is the mean of the encoder's contextual token vectors over its span, which
exist only inside the encode call; NER (spaCy, only on chunks with name-like sequences) and the rules run on the
same text in the same process. Nothing is encoded twice.

A worker exits when the process that started it goes away (its end of the pipe closes).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TypeVar

import numpy as np

from glyph_core.mentions import Mention

T = TypeVar("T")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # per worker: numpy's
#   BLAS (spaCy's NER) would otherwise start a thread per core in every worker (measured: extraction's extra encode
#   time 1.4 s -> 0.85 s on the sample corpus)
REQUEST_TEXTS = 32  # texts per request: small enough that both workers stay busy to the end
REQUEST_BYTES = 96 * 1024  # and at most this much text: a request always fits a socket buffer, so sending one to a
#                            busy worker never blocks (a blocked send while that worker sends a reply would deadlock)


@dataclass
class Encoded:
    vector: np.ndarray
    mentions: list[Mention]


def default_workers() -> int:
    """One single-threaded worker per CPU this process may use (the affinity mask, not the machine's CPU count)."""
    return max(1, len(os.sched_getaffinity(0)))


def requests(texts: Sequence[str]) -> list[list[str]]:
    """Consecutive runs of texts of at most REQUEST_TEXTS texts and REQUEST_BYTES bytes (a longer text: alone)."""
    out: list[list[str]] = []
    size = 0
    for text in texts:
        n = len(text.encode("utf-8", "surrogatepass"))
        if not out or len(out[-1]) >= REQUEST_TEXTS or size + n > REQUEST_BYTES:
            out.append([])
            size = 0
        out[-1].append(text)
        size += n
    return out


class EncoderPool:
    """`workers` processes, each with one torch thread; started in the background by `start()`.

    One stream at a time (a lock): the stages of a run encode one after another. A pool whose worker died or whose
    stream was abandoned mid-way is `broken`; `shared_pool` then starts a fresh one.
    """

    def __init__(self, workers: int, batch_size: int, extract: bool) -> None:
        self.workers, self.batch_size, self.extract = workers, batch_size, extract
        self.broken = False
        self._conns: list[Connection] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._starter: threading.Thread | None = None
        self._lock = threading.Lock()
        self._streaming = threading.Lock()

    def start(self) -> None:
        """Start the workers without waiting for them (the first process imports torch & co., then forks)."""
        with self._lock:
            if self._starter is None:
                self._starter = threading.Thread(target=self._start, name="glyph-encoder-start", daemon=True)
                self._starter.start()

    def _start(self) -> None:
        try:
            pairs = [socket.socketpair() for _ in range(self.workers)]
            ends = [theirs.fileno() for _, theirs in pairs]
            self._process = subprocess.Popen(
                [sys.executable, "-m", "glyph_io.encoder_worker", str(self.batch_size), str(int(self.extract)),
                 *map(str, ends)], pass_fds=ends, stdin=subprocess.DEVNULL, start_new_session=True,
                env=os.environ | ONE_THREAD)
            for ours, theirs in pairs:
                theirs.close()
                self._conns.append(Connection(ours.detach()))
            for conn in self._conns:  # each worker says "ready" once its model is loaded
                message = conn.recv()
                if message != "ready":
                    raise RuntimeError(f"encoder worker failed to start: {message}")
        except BaseException as exc:  # noqa: BLE001 - reported to every caller of encode()
            self._error = exc
            self.broken = True
        finally:
            self._ready.set()

    def wait(self) -> None:
        """Block until every worker has loaded its model (raises what went wrong if one could not)."""
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"the encoder workers could not start: {self._error}") from self._error

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Vectors (normalized) and mentions of `texts`, in order; the texts are spread over the workers."""
        return [e for _, part in self.stream([list(texts)], lambda batch: batch) for e in part]

    def stream(self, items: Iterable[T], texts_of: Callable[[T], Sequence[str]]) -> Iterator[tuple[T, list[Encoded]]]:
        """Encode the texts of item after item, yielding each item with its results, in order, while the workers
        already encode what comes next: the caller's database writes overlap with encoding. Items are pulled from
        `items` only as the workers need more work, so whatever produces an item (e.g. looking up vectors the
        tenant already has) overlaps with encoding too. Each worker is kept two requests deep: it never waits for
        us, and no pipe holds more than one unread request."""
        with self._streaming:
            finished = False
            try:
                yield from self._stream(iter(items), texts_of)
                finished = True
            finally:
                if not finished:  # abandoned (the caller failed) or a worker failed: replies may still be on the way
                    self.broken = True
                    self.close()

    def _stream(self, source: Iterator[T], texts_of: Callable[[T], Sequence[str]]) -> Iterator[tuple[T, list[Encoded]]]:
        unsent: deque[tuple[int, int, list[str]]] = deque()  # (item position, part, texts)
        outstanding: list[deque[tuple[int, int]]] = []  # per worker, answered in order; set once workers are needed
        waiting: dict[int, T] = {}  # items pulled and not yet yielded, by position
        parts: dict[int, list[list[tuple[np.ndarray, list[Mention]]]]] = {}
        missing: dict[int, int] = {}
        pulled = next_out = 0
        exhausted = False
        while True:
            while not exhausted and len(unsent) < 2 * self.workers:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                texts = list(texts_of(item))
                pieces = requests(texts)
                waiting[pulled], parts[pulled], missing[pulled] = item, [[] for _ in pieces], len(pieces)
                unsent.extend((pulled, index, piece) for index, piece in enumerate(pieces))
                pulled += 1
            if unsent and not outstanding:  # the first text to encode: only now wait for the workers
                self.wait()
                outstanding = [deque() for _ in self._conns]
            for conn, queue in zip(self._conns, outstanding):
                while len(queue) < 2 and unsent:
                    position, index, texts = unsent.popleft()
                    conn.send(texts)
                    queue.append((position, index))
            while next_out < pulled and missing[next_out] == 0:
                del missing[next_out]
                done = parts.pop(next_out)
                yield waiting.pop(next_out), [Encoded(v, m) for part in done for v, m in part]
                next_out += 1
            busy = [conn for conn, queue in zip(self._conns, outstanding) if queue]
            if not busy:
                if exhausted and not unsent and next_out == pulled:
                    return
                continue
            for ready in wait(busy):
                worker = next(i for i, conn in enumerate(self._conns) if conn is ready)
                try:
                    reply = self._conns[worker].recv()
                except (EOFError, OSError) as exc:
                    raise RuntimeError("an encoder worker exited (killed, or out of memory?)") from exc
                position, index = outstanding[worker].popleft()
                if isinstance(reply, BaseException):
                    raise RuntimeError(f"encoder worker failed: {reply}") from reply
                parts[position][index] = reply
                missing[position] -= 1

    def close(self) -> None:
        """Close the sockets: every worker sees end-of-file and exits; workers still starting are killed (their
        imports would otherwise delay the exit of a run that never needed them)."""
        for conn in self._conns:
            conn.close()
        if self._process is not None:
            if not self._ready.is_set():
                self._kill()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._kill()
        self._conns, self._process = [], None

    def _kill(self) -> None:
        """SIGKILL the workers' process group (their own session: the forked workers too)."""
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


_POOLS: dict[tuple[int, int, bool], EncoderPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(workers: int, batch_size: int, extract: bool) -> EncoderPool:
    """One pool per process and configuration, kept across runs (`glyph run` runs several jobs in one process);
    a broken pool is replaced."""
    key = (workers or default_workers(), batch_size, extract)
    with _POOLS_LOCK:
        if key not in _POOLS or _POOLS[key].broken:
            _POOLS[key] = EncoderPool(*key)
        return _POOLS[key]


@atexit.register
def _close_pools() -> None:
    for pool in _POOLS.values():
        pool.close()
