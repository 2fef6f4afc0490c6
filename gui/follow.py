"""Follow the project file when another connection writes it (another window, the CLI).

SQLite's ``PRAGMA data_version`` changes when a *different* connection commits; polling it
once a second costs microseconds. When it moved, the documents updated (or added) since the
last look are re-read in the list, the progress counts and the open document's spans, status
and undo history are read again (the view keeps its place), and new labels are shown.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton

POLL_MS = 1000
FREE_EVERY = 3          # a read-only window looks whether the writer has gone every 3rd poll


class Follower(QObject):
    """Polls ``store`` for another connection's commits and refreshes what shows them.

    It receives what it uses, not the window: the ``store``, the ``session`` (labels, the open
    document), ``docs`` (the document list model: ``refresh_rows``), and optionally ``jobs``
    (``busy``: the window's own batches refresh what they change), ``progress`` (called to
    show the counts again), ``status_bar`` and ``edit_here(path)`` (the "Edit here" button of
    a read-only window)."""
    followed = Signal(object)        # the ids of the documents re-read (a set)

    def __init__(self, store, session, docs, *, jobs=None, progress=None, status_bar=None,
                 edit_here=None, parent=None, interval: int = POLL_MS):
        super().__init__(parent)
        self.store, self.session, self.docs, self.jobs = store, session, docs, jobs
        self.progress, self.status_bar, self.edit_here = progress, status_bar, edit_here
        self._version = store.data_version()
        self._mark = store.watermark()
        self._ticks = 0
        self.edit_button: QPushButton | None = None
        self.timer = QTimer(self, interval=interval)
        self.timer.timeout.connect(self.poll)
        if not store.immutable:        # nothing can change under an immutable reader
            self.timer.start()

    def poll(self) -> bool:
        """Re-read what another connection changed; False if nothing did."""
        if self.store.readonly and self.edit_button is None:
            self._ticks += 1
            if self._ticks % FREE_EVERY == 0:
                self.offer_editing()
        return self._poll()

    def offer_editing(self) -> bool:
        """A read-only window whose writer has gone (its lock is free, the file writable):
        an "Edit here" button reopens the project for editing in this window."""
        from gui.project_lock import ProjectLock
        path = self.store.path
        if self.edit_button is not None or self.status_bar is None or self.edit_here is None \
                or not os.access(path, os.W_OK):
            return False
        if not ProjectLock(path).free():
            return False
        self.edit_button = QPushButton("Edit here")
        self.edit_button.setToolTip("The window that was editing this project has closed it: "
                                    "open it for editing here")
        self.edit_button.clicked.connect(lambda: self.edit_here(str(path)))
        self.status_bar.addPermanentWidget(self.edit_button)
        self.status_bar.showMessage("The other window has closed this project: "
                                    "press Edit here to edit it in this one.")
        return True

    def _poll(self) -> bool:
        if self.jobs is not None and self.jobs.busy:    # its own batches refresh what they
            return False                                # change; others' is seen once done
        store = self.store
        if store.in_transaction:
            return False
        try:
            version = store.data_version()
            if version == self._version:
                return False
            ids, mark = store.changed_since(self._mark)     # one read snapshot
            self._version, self._mark = version, mark
        except Exception:           # busy or gone for a moment: look again at the next tick
            return False
        self._show(ids)
        self.followed.emit(ids)
        return True

    def _show(self, ids: set[int]) -> None:
        session, store = self.session, self.store
        if store.labels() != session.labels:
            session.follow_labels()                     # the window shows the new label set
        if ids:
            self.docs.refresh_rows(sorted(ids))         # new documents: the list is read again
            session.refresh(ids)                        # the open document: spans, status, history
        if self.progress is not None:
            self.progress()
