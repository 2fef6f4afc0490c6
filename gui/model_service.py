"""The window's spaCy pipeline: in a model server process of its own, driven from one thread.

The pipeline runs in a separate process (``models.model_server``), started when the window
loads a model and stopped with it; a single worker thread here sends it texts and writes what
comes back, one call at a time, so spaCy never shares this process's GIL with the UI. When the
process dies unexpectedly the window is told (``stopped``) and another is started (at most
``RESTARTS`` times a minute). Results are plain tuples.

``SERVER = False`` keeps the pipeline on the worker thread in this process (the GUI tests'
stand-in pipelines live only in the test's process).
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from gui.workers import Runner
from models import ner
from models.model_server import STOPPED, ModelServer

SERVER = True
RESTARTS = 3            # unexpected stops within RESTART_WINDOW seconds before giving up
RESTART_WINDOW = 60.0


class ModelService(QObject):
    loading = Signal(str)                 # name being loaded
    ready = Signal(str)                   # span source of the loaded pipeline
    failed = Signal(str)                  # why no pipeline is available
    stopped = Signal(str, bool)           # the server process ended: why, restarting or not
    predicted = Signal(int, object, str)    # doc_id, [(start, end, label)], span source

    def __init__(self, parent: QObject | None = None, server: bool | None = None):
        super().__init__(parent)
        self.runner = Runner(1, self)
        self.server = SERVER if server is None else server
        self.pipeline = None        # ner.Pipeline or ModelServer; touched only in the worker thread
        self._local = None          # an in-process copy for a patterns run that needs the nlp
        self.source: str | None = None               # UI-thread copy of pipeline.source
        self.error: str | None = None
        self.pid: int | None = None                  # the server process, once loaded
        self._name: str | None = None
        self._watch: QSocketNotifier | None = None
        self._stops: list[float] = []
        self._closed = False

    # -- loading and the server's life ---------------------------------------------------------
    def load(self, name: str | None, again: bool = False) -> None:
        self._name = name
        self._unwatch()
        self.loading.emit((name or "best installed pipeline") + (" again" if again else ""))
        in_process = not self.server

        def work(_task):
            old, self.pipeline, self._local = self.pipeline, None, None
            if isinstance(old, ModelServer):
                old.close()
            self.pipeline = ner.load(name) if in_process else ModelServer(name)
            return self.pipeline.source

        self.runner.start(work, self._loaded, self._failed)

    def _loaded(self, source: str) -> None:
        self.source, self.error = source, None
        pipe = self.pipeline
        if isinstance(pipe, ModelServer) and not self._closed:
            self.pid = pipe.pid
            self._watch = QSocketNotifier(pipe.sentinel, QSocketNotifier.Type.Read, self)
            self._watch.activated.connect(lambda *_: self._server_ended(pipe))
        self.ready.emit(source)

    def _failed(self, message: str) -> None:
        self.source, self.error = None, message.split(": ", 1)[-1]
        self.failed.emit(self.error)

    def _unwatch(self) -> None:
        if self._watch is not None:
            self._watch.setEnabled(False)
            self._watch.deleteLater()
            self._watch = None

    def _server_ended(self, server: ModelServer) -> None:
        """The server's process ended while in use: say so and start another."""
        self._unwatch()
        if self._closed:
            return
        why = server.why_stopped()
        now = time.monotonic()
        self._stops = [t for t in self._stops if now - t < RESTART_WINDOW] + [now]
        again = len(self._stops) <= RESTARTS
        self.source, self.pid = None, None
        self.stopped.emit(why, again)
        if again:
            self.load(self._name, again=True)
        else:
            self._failed(f"{why}; it stopped {len(self._stops)} times in a minute "
                         "(Model ▸ Choose model… starts it again)")

    def shutdown(self) -> None:
        """Stop the server with the window: nothing queued runs, the process ends."""
        self._closed = True
        self._unwatch()
        self.runner.pool.clear()
        pipe = self.pipeline
        if isinstance(pipe, ModelServer):
            pipe.close()            # a call in flight on the worker thread fails at once

    # -- work ---------------------------------------------------------------------------------
    def predict(self, doc_id: int, text: str) -> None:
        """Predict the entities of ``text`` (no-op result if no pipeline is loaded)."""

        def work(_task):
            pipe = self.pipeline
            if pipe is None:
                return None
            return doc_id, next(pipe.predict([text])), pipe.source

        def done(result):
            if result is not None:
                self.predicted.emit(*result)

        def failed(message: str):
            if STOPPED not in message:      # a stopped server is said (and restarted) once
                self.failed.emit(message)

        self.runner.start(work, done, failed)

    def in_process(self):
        """The pipeline with its spaCy ``nlp`` in this process (worker thread only): a
        patterns run adds its ruler to it. Loaded beside the server the first time."""
        pipe = self.pipeline
        if not isinstance(pipe, ModelServer):
            return pipe
        if self._local is None:
            self._local = ner.load(pipe.name)
        return self._local

    def warm_tokenizer(self) -> None:
        """Build the rule tokenizer off the UI thread so the first snap does not wait."""
        self.runner.start(lambda _t: ner.blank_tokenizer() and None)

    def labels(self) -> list[str]:
        pipe = self.pipeline
        return pipe.labels if pipe else []
