"""Run work off the UI thread on a QThreadPool; results come back as queued signals.

Only plain Python data (ints, strings, tuples) travels back: never a spaCy ``Doc``.
"""
from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Emitter(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(int, int)


class Task(QRunnable):
    """``fn(task)`` runs in the pool; it may call ``task.report(done, total)`` and check
    ``task.cancelled``. Its return value arrives through ``done`` on the UI thread."""

    def __init__(self, fn: Callable[["Task"], object]):
        super().__init__()
        self.setAutoDelete(False)   # Python keeps it (and its emitter) alive until done
        self.fn = fn
        self.cancelled = False
        self.signals = _Emitter()

    def report(self, done: int, total: int) -> None:
        self.signals.progress.emit(done, total)

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> None:
        try:
            result = self.fn(self)
        except Exception as e:  # reported to the UI, never lost
            traceback.print_exc()
            self.signals.failed.emit(f"{type(e).__name__}: {e}")
        else:
            self.signals.done.emit(result)


class Runner(QObject):
    """Owns a thread pool and the tasks running on it."""

    def __init__(self, threads: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._tasks: set[Task] = set()

    def start(self, fn, on_done=None, on_error=None, on_progress=None) -> Task:
        task = Task(fn)
        self._tasks.add(task)
        if on_done:
            task.signals.done.connect(on_done)
        if on_error:
            task.signals.failed.connect(on_error)
        if on_progress:
            task.signals.progress.connect(on_progress)
        task.signals.done.connect(lambda *_: self._tasks.discard(task))
        task.signals.failed.connect(lambda *_: self._tasks.discard(task))
        self.pool.start(task)
        return task

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)
