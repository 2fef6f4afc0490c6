"""Run work off the UI thread on a QThreadPool; results come back as queued signals.

Only plain Python data (ints, strings, tuples) travels back: never a spaCy ``Doc``.
"""
from __future__ import annotations

import traceback
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from models.display import shown
from models.export_report import ExportError
from models.ner import ModelError
from models.project_file import StoreError
from models.train import TrainError

# Errors that say in words what is wrong (a refused export, a damaged project, a disk that is
# full): the window shows their message alone. Anything else is a bug: its type and traceback.
EXPLAINED = (StoreError, ExportError, ModelError, TrainError)


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
        except EXPLAINED as e:
            self.signals.failed.emit(shown(e))
        except Exception as e:  # reported to the UI, never lost
            traceback.print_exc()
            self.signals.failed.emit(shown(f"{type(e).__name__}: {e}"))
        else:
            self.signals.done.emit(result)


class Runner(QObject):
    """Owns a thread pool and the tasks running on it.

    Results reach the callbacks through the runner's own slots: when the runner (and the
    window that owns it) is gone, Qt drops the connection, so a task that finishes late never
    calls into deleted objects.
    """

    def __init__(self, threads: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._tasks: dict[_Emitter, tuple] = {}

    def start(self, fn, on_done=None, on_error=None, on_progress=None) -> Task:
        task = Task(fn)
        self._tasks[task.signals] = (task, on_done, on_error, on_progress)
        task.signals.done.connect(self._done)
        task.signals.failed.connect(self._failed)
        task.signals.progress.connect(self._progress)
        self.pool.start(task)
        return task

    def _entry(self, finished: bool):
        emitter = self.sender()
        return self._tasks.pop(emitter, None) if finished else self._tasks.get(emitter)

    def _done(self, result) -> None:
        entry = self._entry(True)
        if entry and entry[1]:
            entry[1](result)

    def _failed(self, message: str) -> None:
        entry = self._entry(True)
        if entry and entry[2]:
            entry[2](message)

    def _progress(self, done: int, total: int) -> None:
        entry = self._entry(False)
        if entry and entry[3]:
            entry[3](done, total)

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)
