"""The spaCy pipeline, owned by one worker thread: load it, then tokenise and predict.

All spaCy work runs on a single-thread pool, so the pipeline is only ever used from that
thread, one call at a time. Results are plain tuples.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.workers import Runner
from models import ner


class ModelService(QObject):
    loading = Signal(str)                 # name being loaded
    ready = Signal(str)                   # span source of the loaded pipeline
    failed = Signal(str)                  # why no pipeline is available
    predicted = Signal(int, object, str)    # doc_id, [(start, end, label)], span source

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = Runner(1, self)
        self.pipeline: ner.Pipeline | None = None   # touched only in the worker thread
        self.source: str | None = None               # UI-thread copy of pipeline.source
        self.error: str | None = None

    def load(self, name: str | None) -> None:
        self.loading.emit(name or "best installed pipeline")

        def work(_task):
            self.pipeline = None
            self.pipeline = ner.load(name)
            return self.pipeline.source

        self.runner.start(work, self._loaded, self._failed)

    def _loaded(self, source: str) -> None:
        self.source, self.error = source, None
        self.ready.emit(source)

    def _failed(self, message: str) -> None:
        self.source, self.error = None, message.split(": ", 1)[-1]
        self.failed.emit(self.error)

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

        self.runner.start(work, done, self.failed.emit)

    def warm_tokenizer(self) -> None:
        """Build the rule tokenizer off the UI thread so the first snap does not wait."""
        self.runner.start(lambda _t: ner.blank_tokenizer() and None)

    def labels(self) -> list[str]:
        pipe = self.pipeline
        return pipe.labels if pipe else []
