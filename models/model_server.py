"""The spaCy pipeline in a process of its own: the window's model server.

A window runs its model here, not on a thread of its own process: spaCy's work (loading, the
tokenizer, the network) holds the GIL for tens of milliseconds at a time, and a thread sharing
it makes scrolling and typing stutter during a batch pre-annotation. The server is a spawned
interpreter (no copy of the window's threads or SQLite connections) that loads the pipeline
once and answers requests over a pipe, in order. A batch pre-annotation is run and written in
the server too (``preannotate``: ``annotate.preannotate`` with the server's own connection, the
one writer of the batch, as a job's connection was on a thread of the window), so the window's
process does nothing for it but read progress; edits, the journal and resumption are those of
``annotate.preannotate`` anywhere.

``ModelServer`` has the ``Pipeline`` methods the callers use (``name``, ``source``, ``labels``,
``predict``) and the ``submit`` / ``collect`` pair ``annotate.preannotate`` keeps batches in
flight with. It is used from one thread at a time. When the process dies (killed, out of
memory) a call raises ``ServerStopped``; ``sentinel`` is a descriptor that becomes readable
when it does, so a window can notice at once and start another.
"""
from __future__ import annotations

import multiprocessing
import signal
import threading
from typing import Iterable, Iterator

from models.ner import ModelError

START_TIMEOUT = 300.0       # seconds for a large pipeline (a transformer) to load
STOPPED = "the model server stopped"


class ServerStopped(ModelError):
    """The model server's process ended."""


def _serve(conn, name: str | None) -> None:
    """The server's loop: load ``name`` once, then answer ``(seq, op, args)`` in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # the window answers Ctrl+C
    from models import ner
    try:
        pipe = ner.load(name)
    except ner.ModelError as e:
        conn.send((0, "error", str(e)))
        return
    conn.send((0, "ok", (pipe.name, pipe.source, pipe.labels, pipe.nlp.lang)))
    while True:
        try:
            seq, op, args = conn.recv()
        except (EOFError, OSError):      # the window is gone
            return
        if op == "quit":
            return
        try:
            if op == "preannotate":
                answer = _preannotate(conn, seq, pipe, *args)
                if answer is None:          # asked to quit meanwhile
                    return
            else:
                texts, batch_size = args
                answer = list(pipe.predict(texts, batch_size=batch_size))
            conn.send((seq, "ok", answer))
        except Exception as e:          # said to the caller; the server lives on
            conn.send((seq, "error", f"{type(e).__name__}: {e}"))


def _preannotate(conn, seq: int, pipe, db_path: str, chunk: list[int], skip: int | None,
                 force: bool, batch_size: int):
    """Pre-annotate the documents of ``chunk`` that still want the model (not ``skip``, the
    window's open one) and write them here, with this process's own connection: the window's
    process does no work for it. Progress goes back after each batch, and a ``cancel`` sent
    meanwhile stops after the batch in hand. Gives (ids run, documents processed, spans
    added), or None when the window asked the server to quit."""
    from models import annotate, project_file
    from models.store import Store
    store = Store(db_path)
    # The window writes the file meanwhile: the batch's commits do not wait for the disk while
    # they hold the write lock; each batch is put on disk and checkpointed (here rather than in
    # a key press of the window) once it is reported, and at the latest when the store closes.
    project_file.defer_sync(store.db.conn)
    quit_ = []
    try:
        ids = annotate.still_wanted(store, chunk, skip, force)
        skipped = len(chunk) - len(ids)
        processed = [skipped]

        def progress(done: int, _total: int) -> bool:
            processed[0] = skipped + done
            conn.send((seq, "progress", processed[0]))      # first: a kill now loses no count
            project_file.settle(store.db.conn, store.path)
            while conn.poll():
                _, op, _ = conn.recv()
                if op == "quit":
                    quit_.append(True)
                if op in ("quit", "cancel"):
                    return False
            return True
        # shared: the window writes the file meanwhile (short transactions, checkpointed here)
        added = (annotate.preannotate(store, pipe, ids, batch_size, progress, force=force, shared=True)
                 if ids else 0)
    finally:
        store.close()
    return None if quit_ else (ids, processed[0], added)


class ModelServer:
    """Start a server process and load ``name`` (a package, a directory, None for the best
    installed) in it; raises ``ModelError`` with the reason when it cannot be loaded."""

    def __init__(self, name: str | None):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, name), daemon=True,
                                   name="article-annotator model server")
        self.process.start()
        child.close()
        self._reaping, self._why = threading.Lock(), None
        self._sent = 0           # requests sent
        try:
            self.name, self.source, self.labels, self.lang = self._answer(0, START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    def alive(self) -> bool:
        return self.process.is_alive()

    def why_stopped(self) -> str:
        """Why the process ended (the window's thread and the worker thread may both ask:
        one reaps it, the other waits for that)."""
        with self._reaping:
            if self._why is None:
                self.process.join(5)
                code = self.process.exitcode
                how = (f"killed by signal {-code}" if code and code < 0 else
                       "it did not end" if code is None else f"exit code {code}")
                self._why = f"{STOPPED} ({how})"
            return self._why

    def _stopped(self) -> ServerStopped:
        return ServerStopped(self.why_stopped())

    def _answer(self, seq: int, timeout: float | None = None, progress=None):
        """The answer to request ``seq``, reading past answers nobody collected; progress
        messages go to ``progress(value)``."""
        while True:
            try:
                if timeout is not None and not self._conn.poll(timeout):
                    raise ModelError(f"the model server did not answer in {timeout:.0f} s")
                got, status, value = self._conn.recv()
            except (EOFError, OSError):
                raise self._stopped() from None
            if got < seq:
                continue
            if status == "progress":
                if progress is not None:
                    progress(value)
                continue
            if status == "error":
                raise ModelError(value)
            return value

    def _send(self, op: str, args, seq: int | None = None) -> int:
        if seq is None:
            self._sent += 1
        try:
            self._conn.send((seq or self._sent, op, args))
        except (BrokenPipeError, OSError):
            raise self._stopped() from None
        return seq or self._sent

    def submit(self, texts: Iterable[str], batch_size: int = 32) -> int:
        """Send ``texts`` to the model; ``collect`` gives their entities."""
        return self._send("predict", (list(texts), batch_size))

    def preannotate(self, db_path: str, chunk: list[int], skip: int | None, force: bool,
                    batch_size: int, report=None, cancelled=None) -> tuple[list[int], int, int]:
        """Pre-annotate ``chunk`` in the server, written there (see ``_preannotate``):
        ``report(processed)`` after each batch; ``cancelled()`` true stops after the batch in
        hand. Gives (ids run, documents processed, spans added)."""
        seq = self._send("preannotate", (db_path, list(chunk), skip, force, batch_size))
        asked = []

        def progress(value: int) -> None:
            if report is not None:
                report(value)
            if cancelled is not None and not asked and cancelled():
                asked.append(self._send("cancel", None, seq))
        ids, processed, added = self._answer(seq, progress=progress)
        return ids, processed, added

    def collect(self, seq: int) -> list[list[tuple[int, int, str]]]:
        return self._answer(seq)

    def predict(self, texts: Iterable[str], batch_size: int = 32) -> Iterator[list[tuple[int, int, str]]]:
        yield from self.collect(self.submit(texts, batch_size))

    def close(self) -> None:
        """Stop the process (at once if it does not leave within a second)."""
        if self.process.is_alive():
            try:
                self._conn.send((self._sent + 1, "quit", None))
            except OSError:
                pass
            self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1)
        self._conn.close()


__all__ = ["ModelServer", "ServerStopped", "STOPPED"]
