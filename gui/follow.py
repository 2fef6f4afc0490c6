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
    followed = Signal(object)        # the ids of the documents re-read (a set)

    def __init__(self, window, interval: int = POLL_MS):
        super().__init__(window)
        self.window = window
        self.store = window.store
        self._version = self.store.data_version()
        self._mark = self._watermark()
        self._ticks = 0
        self.edit_button: QPushButton | None = None
        self.timer = QTimer(self, interval=interval)
        self.timer.timeout.connect(self.poll)
        if not self.store.immutable:        # nothing can change under an immutable reader
            self.timer.start()

    def _watermark(self) -> tuple[str, int]:
        db = self.store.db       # one aggregate per query: each is then one index lookup
        updated = db.execute("SELECT max(updated) FROM documents").fetchone()[0]
        return updated or "", db.execute("SELECT max(id) FROM documents").fetchone()[0] or 0

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
        if self.edit_button is not None or not os.access(path, os.W_OK):
            return False
        if not ProjectLock(path).free():
            return False
        w = self.window
        self.edit_button = QPushButton("Edit here")
        self.edit_button.setToolTip("The window that was editing this project has closed it: "
                                    "open it for editing here")
        self.edit_button.clicked.connect(lambda: w.project_requested.emit(str(path)))
        w.statusBar().addPermanentWidget(self.edit_button)
        w.statusBar().showMessage("The other window has closed this project: "
                                  "press Edit here to edit it in this one.")
        return True

    def _poll(self) -> bool:
        jobs = getattr(self.window, "jobs", None)
        if jobs is not None and jobs.busy:      # its own batches refresh what they change;
            return False                        # what others did is seen once it is done
        conn = self.store.db.conn
        if conn.in_transaction:
            return False
        try:
            version = self.store.data_version()
            if version == self._version:
                return False
            updated, max_id = self._mark
            # One read snapshot: the ids and the new watermark see the same commits (taken
            # apart, a commit between them would be skipped for good).
            conn.execute("BEGIN")
            try:
                mark = self._watermark()
                # The documents list's own index on `updated` makes this a short range scan.
                ids = {r[0] for r in conn.execute(
                    "SELECT id FROM documents WHERE updated >= ? OR id > ?", [updated, max_id])}
            finally:
                conn.execute("COMMIT")
            self._version, self._mark = version, mark
        except Exception:           # busy or gone for a moment: look again at the next tick
            return False
        self._show(ids)
        self.followed.emit(ids)
        return True

    def _show(self, ids: set[int]) -> None:
        w, store = self.window, self.store
        labels = store.labels()
        if labels != w.session.labels:
            w.session.labels = labels
            w._labels_changed()
        if ids:
            w.docs_model.refresh_rows(sorted(ids))       # new documents: the list is read again
            w.session.refresh(ids)                       # the open document: spans, status, history
        w._refresh_progress()
