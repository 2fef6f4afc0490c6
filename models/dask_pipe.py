"""Pre-annotation on a Dask cluster (``preannotate --dask ADDRESS`` or ``--dask local``).

``DaskPipeline`` connects to a scheduler (or starts a ``LocalCluster``), has every worker load
the pipeline once (``LoadPipeline``, a ``distributed.WorkerPlugin`` registered under the
pipeline's name, so a worker joining later loads it too) and checks on each worker that it
loaded — naming the worker and the pipeline when one cannot — before any document is sent.
``stream`` (what ``annotate.preannotate`` uses) sends the batches as tasks, a bounded number in
flight, and yields each one's results as it completes (``distributed.as_completed``); closing
it cancels what is still out. The one writer commits each batch as today.

The pipeline goes by name (a package installed on every worker) or directory (at the same
path on every worker); the workers also need this package (article-annotator) to import.
``distributed`` is imported only here, and only when a cluster is used.
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

CONNECT_TIMEOUT = 5.0       # seconds to reach the scheduler, and to see a first worker
AHEAD = 2                   # batches in flight per worker thread
LOCAL = "local"

_PIPES: dict = {}           # on a worker: pipeline name -> its loaded models.ner.Pipeline
_ERRORS: dict[str, str] = {}    # on a worker: pipeline name -> why it could not be loaded


class DaskError(Exception):
    """The cluster cannot be used (unreachable, no worker, a pipeline a worker lacks) or a
    task failed; said as it is."""


def shipped(name: str) -> str:
    """The name the workers load: a directory here is given by its absolute path (the same
    path must hold the model on every worker); anything else (a package name) as it is."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


# -- on the workers ------------------------------------------------------------------------------

def _load(name: str) -> None:
    """Load ``name`` into this worker (dropping any copy from before); an error is kept."""
    signal_ignored()
    from models import ner
    _PIPES.pop(name, None)
    _ERRORS.pop(name, None)
    try:
        _PIPES[name] = ner.load(name)
    except Exception as e:          # ModelError, or anything loading a broken directory raises
        _ERRORS[name] = str(e)


def signal_ignored() -> None:
    """A worker process ignores Ctrl+C pressed in the terminal of the command that started it
    (``--dask local``): the command answers it, cancelling the tasks."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _status(name: str) -> tuple:
    """On each worker: ("ok", source, labels) or ("error", why)."""
    if name in _PIPES:
        pipe = _PIPES[name]
        return "ok", pipe.source, pipe.labels
    return "error", _ERRORS.get(name, "the pipeline was not loaded (no plugin ran)")


def _predict(name: str, texts: list[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    from models.ner import ModelError
    from models.parallel import entities
    if name not in _PIPES:
        raise ModelError(_ERRORS.get(name, f"pipeline {name!r} was not loaded on this worker"))
    return entities(_PIPES[name], texts, batch_size)


def _plugin_class():
    from distributed import WorkerPlugin

    class LoadPipeline(WorkerPlugin):
        """Loads the pipeline ``name`` once in each worker (on registration, and in a worker
        that joins later)."""

        def __init__(self, name: str):
            self.name = name

        def setup(self, worker) -> None:
            _load(self.name)

        def teardown(self, worker) -> None:
            _PIPES.pop(self.name, None)
    LoadPipeline.__module__, LoadPipeline.__qualname__ = __name__, "LoadPipeline"
    return LoadPipeline


def __getattr__(attr: str):
    # ``LoadPipeline`` is made on first use, so importing this module does not import
    # distributed; pickle finds it by name on the workers through here too.
    if attr == "LoadPipeline":
        globals()[attr] = cls = _plugin_class()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


# -- on this machine -----------------------------------------------------------------------------

def _why(worker: str, error: str) -> str:
    return f"the Dask worker {worker} {error}" if error.startswith("cannot ") else \
        f"the Dask worker {worker}: {error}"


class DaskPipeline:
    """The pipeline ``name`` on the Dask cluster at ``address`` (``"local"``: a
    ``LocalCluster`` of ``workers`` processes, default the cores, one thread each, closed with
    this). Raises ``DaskError`` when the cluster or the pipeline on one of its workers cannot be
    used; then nothing was sent."""

    def __init__(self, address: str, name: str, workers: int | None = None,
                 timeout: float | None = None):
        from distributed import Client
        timeout = CONNECT_TIMEOUT if timeout is None else timeout
        self.name = shipped(name)
        self.plugin = f"article-annotator-pipeline:{self.name}"
        self.cluster = self.client = None
        self.registered = False
        try:
            if address == LOCAL:
                from distributed import LocalCluster
                self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                            threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR)
                address = self.cluster.scheduler_address
            self.address = address
            try:
                self.client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise DaskError(f"cannot reach the Dask scheduler at {address} within "
                                f"{timeout:g} s: {e}") from e
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except TimeoutError as e:
                raise DaskError(f"the Dask scheduler at {address} has no worker (none joined "
                                f"within {timeout:g} s)") from e
            self.source, self.labels = self._check()
            self.threads = max(1, sum(self.client.nthreads().values()))
        except BaseException:
            self.close()
            raise

    def _check(self) -> tuple[str, list[str]]:
        """Every worker loads the pipeline (the plugin) and says so; their source and labels."""
        try:
            self.client.register_plugin(__getattr__("LoadPipeline")(self.name), name=self.plugin)
            self.registered = True
            said = self.client.run(_status, self.name)
        except (ImportError, AttributeError) as e:
            raise DaskError(f"the Dask workers at {self.address} cannot run article-annotator "
                            f"(installed on every worker?): {e}") from e
        for worker, answer in sorted(said.items()):
            if answer[0] != "ok":
                raise DaskError(_why(worker, answer[1]))
        found = {(source, tuple(labels)) for _, source, labels in said.values()}
        if len(found) > 1:
            raise DaskError(f"the Dask workers have different pipelines for {self.name!r}: "
                            + ", ".join(sorted(s for s, _ in found)))
        source, labels = found.pop()
        return source, list(labels)

    def stream(self, batches, batch_size: int = 32):
        """Yield ``(number, results)`` for each batch of texts in ``batches`` (numbered from 0)
        as it completes; at most ``AHEAD`` batches per worker thread are out at a time (a batch
        is read from ``batches`` when one comes back). Closing the generator cancels the rest."""
        from distributed import as_completed
        batches = iter(batches)
        out: dict[str, tuple[int, object]] = {}         # key -> (number, future)
        done = as_completed(loop=self.client.loop)
        run = uuid.uuid4().hex[:8]
        number = 0

        def send() -> None:
            nonlocal number
            texts = next(batches, None)
            if texts is None:
                return
            key = f"preannotate-{run}-{number}"
            future = self.client.submit(_predict, self.name, texts, batch_size, key=key, pure=False)
            out[key] = (number, future)
            done.add(future)
            number += 1
        try:
            for _ in range(AHEAD * self.threads):
                send()
            for future in done:
                k, _ = out.pop(future.key)
                try:
                    results = future.result()
                except Exception as e:
                    raise DaskError(f"a batch failed on the Dask cluster at {self.address}: "
                                    f"{type(e).__name__}: {e}") from e
                future.release()
                send()
                yield k, results
        finally:
            if out:
                self.client.cancel([f for _, f in out.values()])
            done.clear()

    def close(self) -> None:
        """Unload the pipeline from the workers (the plugin unregistered), disconnect, and
        close the ``LocalCluster`` if this started it."""
        if self.registered and self.cluster is None:
            try:
                self.client.unregister_worker_plugin(self.plugin)
            except Exception:           # a worker or the scheduler gone: nothing to unload
                pass
        for part in (self.client, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:       # a scheduler gone meanwhile: nothing left to close
                    pass
        self.client = self.cluster = None


__all__ = ["DaskPipeline", "DaskError", "shipped", "LOCAL", "CONNECT_TIMEOUT"]
