"""Pre-annotation on several cores: the model in worker processes, each with the pipeline loaded
once; the one writer (``annotate.preannotate``) commits their results in order, as with one.

``ParallelPipeline`` has the ``Pipeline`` methods ``preannotate`` uses: ``submit`` cuts a batch
of texts into one slice per worker, ``collect`` gives the entities back in the texts' order, so
what is written — and the resumption after Ctrl+C — is the same as with one process. Workers
ignore Ctrl+C: the parent stops after the batch in hand and shuts them down.

Two ways to start them:
* ``start="spawn"`` (the default, for any caller with threads — the window): a clean
  interpreter each, loading the pipeline itself; no copy of the parent's threads or open
  SQLite connections.
* ``start="fork"`` (the command line: one thread, nothing else running): the pipeline is loaded
  once here and the workers are forked after it, inheriting it copy-on-write (as spaCy's own
  ``nlp.pipe(n_process=…)`` does) — no second load, no start-up cost. The workers are forked
  in the constructor: create the pipeline before opening the project, and a child never
  touches a connection (it leaves by ``os._exit``, as multiprocessing's children do). A process
  that has other threads running gets "spawn" instead (``start`` says which was used).

Each worker first calls ``steady_heap``: glibc's malloc otherwise hands the model's large,
short-lived buffers back to the kernel (``mmap``/``munmap`` above its threshold, heap trims
below) and takes them again for the next batch — page faults on every batch.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable, Iterator

from models.ner import Pipeline

SMALL_RUN = 200          # fewer documents than this: one process (starting workers costs more)

_PIPE: Pipeline | None = None       # in a worker: its pipeline, loaded once
_ERROR: str | None = None           # in a worker: why it could not be loaded
_STEADY = False                     # in a worker: steady_heap() applied

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3          # glibc's malloc.h
MMAP_THRESHOLD = 64 << 20       # blocks below this come from the heap, not a fresh mmap each
TRIM_THRESHOLD = 128 << 20      # free memory kept at the heap's top before it is given back


def steady_heap() -> bool:
    """Keep freed memory in this process for the next batch (glibc's ``mallopt``): blocks up to
    64 MB from the heap, and up to 128 MB free kept before trimming. True when applied; where
    there is no glibc (macOS, musl) nothing is done and False is returned. For a worker (the
    setting lasts for the process, and a forked child inherits it)."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all([mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1,
                mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1])


def _start(name: str) -> None:
    global _PIPE, _ERROR, _STEADY
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # the parent answers Ctrl+C
    _STEADY = steady_heap()
    from models import ner
    try:
        _PIPE = ner.load(name)
    except ner.ModelError as e:         # said by the first task (a broken pool says nothing)
        _ERROR = str(e)


def _adopt(pipe: Pipeline) -> None:
    """A forked worker's initializer: the parent's pipeline, inherited (never pickled)."""
    global _PIPE, _STEADY
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STEADY = steady_heap()
    _PIPE = pipe


def _loaded() -> Pipeline:
    if _PIPE is None:
        from models.ner import ModelError
        raise ModelError(_ERROR or "the pipeline was not loaded")
    return _PIPE


def _info() -> tuple[str, str, list[str], bool]:
    pipe = _loaded()
    return pipe.name, pipe.source, pipe.labels, _STEADY


def _predict(texts: list[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    return entities(_loaded(), texts, batch_size)


def entities(pipe: Pipeline, texts: list[str], batch_size: int = 32) -> list[list[tuple[int, int, str]]]:
    """What ``pipe.predict(texts)`` gives, as a list (each piece's text is read once there)."""
    return list(pipe.predict(texts, batch_size=batch_size))


def default_workers(n_docs: int) -> int:
    """The cores, for a run long enough to be worth the workers' start."""
    return 1 if n_docs < SMALL_RUN else max(1, os.cpu_count() or 1)


def start_method(start: str) -> str:
    """The start method used for ``start``: "fork" only in a process with no other thread
    running (a forked child gets a copy of every lock another thread might hold)."""
    if start not in ("fork", "spawn"):
        raise ValueError(f"start must be 'fork' or 'spawn', not {start!r}")
    if start == "fork" and (threading.active_count() > 1
                            or "fork" not in multiprocessing.get_all_start_methods()):
        return "spawn"
    return start


class ParallelPipeline:
    """The pipeline ``name`` run in ``workers`` processes, each with it loaded once. With
    "spawn" this process loads none (its name, source and labels come from a worker); with
    "fork" it loads it (``ner.load``, or takes the loaded ``pipeline``) and forks the workers at
    once. ``steady`` says whether a worker's ``steady_heap`` was applied. Raises ``ModelError``
    when it cannot be loaded."""

    def __init__(self, name: str, workers: int, start: str = "spawn", pipeline: Pipeline | None = None):
        self.workers = workers
        self.start = start_method(start)
        if self.start == "fork":
            if pipeline is None:
                from models import ner
                pipeline = ner.load(name)
            init, args = _adopt, (pipeline,)
        else:
            init, args = _start, (name,)
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(self.start),
                                        initializer=init, initargs=args)
        try:        # forked here (all at the first task); a spawned pool's load is said here
            self.name, self.source, self.labels, self.steady = self.pool.submit(_info).result()
        except BaseException:
            self.close()
            raise

    def submit(self, texts: Iterable[str], batch_size: int = 32) -> list:
        """Start the model on ``texts`` (one slice per worker); ``collect`` gives the results."""
        texts = list(texts)
        size = max(1, -(-len(texts) // self.workers))
        return [self.pool.submit(_predict, texts[i:i + size], batch_size)
                for i in range(0, len(texts), size)]

    @staticmethod
    def collect(futures: list) -> list[list[tuple[int, int, str]]]:
        return [found for f in futures for found in f.result()]

    def predict(self, texts: Iterable[str], batch_size: int = 32) -> Iterator[list[tuple[int, int, str]]]:
        yield from self.collect(self.submit(texts, batch_size))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["ParallelPipeline", "default_workers", "entities", "start_method", "steady_heap", "SMALL_RUN"]
