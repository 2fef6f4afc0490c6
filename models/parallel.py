"""Pre-annotation on several cores: the model in worker processes, each loading the pipeline
once; the one writer (``annotate.preannotate``) commits their results in order, as with one.

``ParallelPipeline`` has the ``Pipeline`` methods ``preannotate`` uses: ``predict`` cuts a batch
of texts into one slice per worker and gives the entities back in the texts' order
(``ProcessPoolExecutor.map``), so what is written — and the resumption after Ctrl+C — is the
same as with one process. Workers are started with "spawn" (a clean interpreter: no copy of a
parent's threads or open SQLite connections) and ignore Ctrl+C: the parent stops after the
batch in hand and shuts them down.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable, Iterator

from models.ner import Pipeline

SMALL_RUN = 200          # fewer documents than this: one process (starting workers costs more)

_PIPE: Pipeline | None = None       # in a worker: its pipeline, loaded once
_ERROR: str | None = None           # in a worker: why it could not be loaded


def _start(name: str) -> None:
    global _PIPE, _ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # the parent answers Ctrl+C
    from models import ner
    try:
        _PIPE = ner.load(name)
    except ner.ModelError as e:         # said by the first task (a broken pool says nothing)
        _ERROR = str(e)


def _loaded() -> Pipeline:
    if _PIPE is None:
        from models.ner import ModelError
        raise ModelError(_ERROR or "the pipeline was not loaded")
    return _PIPE


def _info() -> tuple[str, str, list[str]]:
    pipe = _loaded()
    return pipe.name, pipe.source, pipe.labels


def _predict(texts: list[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    return list(_loaded().predict(texts, batch_size=batch_size))


def default_workers(n_docs: int) -> int:
    """The cores, for a run long enough to be worth the workers' start."""
    return 1 if n_docs < SMALL_RUN else max(1, os.cpu_count() or 1)


class ParallelPipeline:
    """The pipeline ``name`` run in ``workers`` processes, each loading it once; this process
    loads none (its name, source and labels come from a worker). Raises ``ModelError`` when
    it cannot be loaded."""

    def __init__(self, name: str, workers: int):
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start, initargs=(name,))
        try:
            self.name, self.source, self.labels = self.pool.submit(_info).result()
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


__all__ = ["ParallelPipeline", "default_workers", "SMALL_RUN"]
