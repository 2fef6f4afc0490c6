"""Label every occurrence (Ctrl+Shift+A, Edit menu): on the selected span or the text
selection (snapped to tokens unless exact mode), a dialog previews every occurrence of its
text in this document, every document still to do, or every document — the preview fills in
the background (``gui.workers.Runner``, its own project connection: the window never waits),
a batch of rows at a time, with a count and progress — and Apply (Enter) labels the ticked
rows as one edit through ``Session.push``: one Ctrl+Z in the open document undoes all of it.
Rules (token boundaries, case, scopes, what is ticked, done documents) are
``models.occurrences``'."""
from __future__ import annotations

import queue
import time
from dataclasses import replace

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QRadioButton, QTableView, QVBoxLayout)

from gui.features.occurrences_model import BEFORE, TICK, ElideLeft, OccurrenceModel
from gui.plain import one_line
from gui.workers import Runner
from models import occurrences as O
from models.graphemes import strip, widen
from models.spans import overlapping
from models.store import Store

LIMIT = 100_000        # occurrences a preview holds at most (a word like "the" is everywhere)
SHOW_EVERY = 0.05      # s between two showings of arriving rows (the UI thread stays free)
SCOPE_TEXT = {O.DOCUMENT: "&This document", O.NOT_DONE: "Every document &not done (new or in progress)",
              O.ALL: "&Every document"}


class OccurrenceDialog(QDialog):
    """One per window, reused: ``start`` shows it for a new string."""

    def __init__(self, w):
        super().__init__(w)
        self.w = w
        self.setWindowTitle("Label every occurrence")
        self.setModal(False)
        self.resize(980, 560)
        self.runner = Runner(1, self)
        self.task = None
        self.query: O.Query | None = None
        self._inbox: queue.SimpleQueue | None = None     # rows from the running scan
        self._done = False
        self._applying = self._moved = self._limited = False
        self._build()
        # this window's own writes meanwhile (a label key, the model's suggestions): the
        # preview is read again, the person's ticks kept
        w.session.changed.connect(self._written)

    # -- widgets -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.scopes = QButtonGroup(self)
        scope_row = QHBoxLayout()
        self.scope_buttons = {}
        for i, scope in enumerate(O.SCOPES):
            b = QRadioButton(SCOPE_TEXT[scope])
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)    # Alt+T/N/E: the focus stays on the rows
            self.scopes.addButton(b, i)
            self.scope_buttons[scope] = b
            scope_row.addWidget(b)
        scope_row.addStretch(1)
        self.case = QCheckBox("&Match case")
        self.tokens = QCheckBox("&Whole tokens")
        for box in (self.case, self.tokens):            # Alt+M / Alt+W likewise (Space ticks)
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tokens.setToolTip("On: only where spaCy's tokenizer cuts (no “Korea” inside “Koreas”, "
                               "but in “Korea's”). Off: anywhere (exact mode).")
        self.label = QComboBox()
        label_caption = QLabel("&Label:")
        label_caption.setBuddy(self.label)
        options = QHBoxLayout()
        for x in (self.case, self.tokens):
            options.addWidget(x)
        options.addSpacing(24)
        options.addWidget(label_caption)
        options.addWidget(self.label)
        options.addStretch(1)
        self.model = OccurrenceModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.model.dataChanged.connect(lambda *_: self._ticks_changed())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(BEFORE, ElideLeft(self.table))
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        head = self.table.horizontalHeader()
        head.setStretchLastSection(True)
        for col, width in ((TICK, 28), (1, 170), (2, 260), (3, 110), (4, 260)):
            self.table.setColumnWidth(col, width)
        head.setSectionResizeMode(TICK, QHeaderView.ResizeMode.Fixed)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(self._show_in_article)
        self.count = QLabel()
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%p%")
        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setDefault(True)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.notice = QLabel()              # why the last Apply was refused (until the next string)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #9a3412; font-weight: bold;")
        self.notice.hide()
        self.hint = QLabel("Space ticks or unticks the selected rows · a double click shows one in "
                           "the article · Enter applies · Esc closes")
        self.hint.setStyleSheet("color: #666;")
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.progress)
        layout = QVBoxLayout(self)
        for item in (self.heading, scope_row, options, self.table, self.notice, bottom, self.hint,
                     self.buttons):
            (layout.addLayout if isinstance(item, QHBoxLayout) else layout.addWidget)(item)
        self.scopes.idClicked.connect(lambda _i: self.rescan())
        self.case.toggled.connect(lambda _on: self.rescan())
        self.tokens.toggled.connect(lambda _on: self.rescan())
        self.label.currentIndexChanged.connect(lambda _i: self.rescan())

    # -- a new string ------------------------------------------------------------------------------
    def start(self, text: str, label: str, entity: int, exact: bool) -> None:
        s = self.w.session
        self._starting = True
        self.heading.setText(f"Label every occurrence of “{one_line(' '.join(text.split()), 80)}”"
                             + (" (and link it to its entity)" if entity else ""))
        self.label.clear()
        for lab in s.labels:
            self.label.addItem(one_line(lab.name, 40), lab.name)
        self.label.setCurrentIndex(max(self.label.findData(label), 0))
        if self.scopes.checkedButton() is None:
            self.scope_buttons[O.NOT_DONE].setChecked(True)
        self.case.setChecked(True)
        self.tokens.setChecked(not exact)
        self._text, self._entity = text, entity
        self.model.forget()
        self.notice.hide()
        self._starting = False
        self.show()
        self.raise_()
        self.activateWindow()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.rescan()

    def _query(self) -> O.Query:
        return O.Query(self._text, self.label.currentData(), self._entity,
                       O.SCOPES[self.scopes.checkedId()], self.case.isChecked(),
                       self.tokens.isChecked(), self.w.session.doc.id)

    # -- the preview, in the background ------------------------------------------------------------
    def rescan(self) -> None:
        if getattr(self, "_starting", False) or self._applying or self.w.session.doc is None:
            return              # (an option changed while Apply checks: read once it is over)
        self._cancel()
        self.query = q = self._query()
        self.model.reset()
        self._done = False
        self.apply_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.count.setText("Looking…")
        inbox = self._inbox = queue.SimpleQueue()
        self._shown = 0.0                   # the first rows are shown as soon as they come
        path = str(self.w.store.path)

        def work(task):
            store = Store(path, readonly=True)
            found = 0
            try:
                for done, total, rows in O.scan(store, q, lambda: task.cancelled):
                    if rows:
                        inbox.put(rows[:LIMIT - found])
                        found += len(rows)
                    task.report(done, total)
                    if found >= LIMIT:
                        return "limited"
            finally:
                store.close()
            return not task.cancelled

        self.task = self.runner.start(work, lambda ok: self._finished(inbox, ok),
                                      lambda m: self._failed(inbox, m),
                                      lambda d, t: self._arrived(inbox, d, t))

    def _drain(self, inbox) -> None:
        rows = []
        while True:
            try:
                rows += inbox.get_nowait()
            except queue.Empty:
                break
        if inbox is self._inbox and rows:
            self.model.append(rows)

    def _arrived(self, inbox, done: int, total: int) -> None:
        if inbox is not self._inbox:
            return                          # a scan given up (the scope changed meanwhile)
        now = time.monotonic()
        if now - self._shown < SHOW_EVERY:
            return                          # the rows wait in the inbox for the next showing
        self._shown = now
        self._drain(inbox)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self._show_count(final=False)

    def _finished(self, inbox, ok: bool) -> None:
        if inbox is not self._inbox:
            return
        self._drain(inbox)
        self.task = None
        if not ok:
            return
        self._done, self._limited = True, ok == "limited"
        self.progress.setValue(self.progress.maximum())
        self.progress.hide()
        self._show_count(final=True)

    def _failed(self, inbox, message: str) -> None:
        if inbox is self._inbox:
            self.task = None
            self.progress.hide()
            self.count.setText(f"The preview failed: {message}")

    def _show_count(self, final: bool) -> None:
        n, docs, ticked, kinds = self.model.counts()
        person, same = kinds.get(O.PERSON, 0), kinds.get(O.SAME, 0)
        text = f"{n:,} occurrence{'s' * (n != 1)} in {docs:,} document{'s' * (docs != 1)}"
        if not final:
            text = "Looking… " + text
        elif self._limited:
            text = (f"The first {n:,} occurrences (in {docs:,} documents): the search stopped "
                    "there, the rest is neither shown nor labelled — choose a narrower scope or a "
                    "longer string")
        extra = [f"{ticked:,} ticked"]
        if person:
            mine = sum(self.model.ticks[i] for i in self.model.person_rows)
            extra.append(f"{person:,} over a person's span (" + (
                f"{mine:,} ticked by you: replaced)" if mine else "unticked: tick to replace)"))
        if same:
            extra.append(f"{same:,} labelled so already")
        self.count.setText(f"{text} · {' · '.join(extra)}")
        self.apply_button.setEnabled(self._done and ticked > 0)
        self.apply_button.setText(f"&Apply to {ticked:,}" if ticked else "&Apply")
        if final and n and self.table.currentIndex().row() < 0:
            self.table.selectRow(0)

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._inbox = None

    # -- keys, apply, close ------------------------------------------------------------------------
    def eventFilter(self, obj, e) -> bool:
        if obj is self.table and e.type() == QEvent.Type.KeyPress and e.key() == Qt.Key.Key_Space:
            rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
            if not rows and self.table.currentIndex().isValid():
                rows = [self.table.currentIndex().row()]
            self.model.toggle(rows)
            return True
        return super().eventFilter(obj, e)

    def apply(self) -> None:
        """Build the edit off the UI thread (the touched documents read again and checked:
        a change since the preview refuses it), then push it: one step, one Ctrl+Z."""
        if not self._done or self.query is None or self.task is not None:
            return
        # the edit belongs where it is made: the document open now (one Ctrl+Z there)
        q = replace(self.query, open_doc=self.w.session.doc.id if self.w.session.doc else None)
        rows, path = self.model.ticked(), str(self.w.store.path)
        self._done, self._applying, self._moved = False, True, False
        self.apply_button.setEnabled(False)
        self.count.setText(f"Checking {len({r.doc_id for r in rows}):,} documents…")

        def work(task):
            store = Store(path, readonly=True)
            try:
                return O.build_edit(store, q, rows)
            finally:
                store.close()

        self.task = self.runner.start(work, self._built, self._not_built)

    def _built(self, edit) -> None:
        self.task = None
        if self._moved:                 # this window wrote meanwhile (the model's suggestions?)
            self._not_built("the project changed while it was checked (this window wrote "
                            "meanwhile)")
            return
        try:
            pushed = self._push(self.w, edit)
        finally:
            self._applying = False
        if not pushed:                      # said in a box by the session: the preview again
            self.rescan()

    def _push(self, w, edit) -> bool:
        if edit is None:
            w.statusBar().showMessage(O.summary(None), 8000)
            self.accept()
            return True
        if not w.session.push(edit, None):
            return False
        w.statusBar().showMessage(O.summary(edit), 15000)
        self.accept()
        w.activateWindow()
        w.view.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _not_built(self, message: str) -> None:
        self.task, self._applying = None, False
        self.notice.setText(f"Not applied: {message}. The preview was read again: check it and "
                            "apply again.")
        self.notice.show()
        self.rescan()

    def _written(self, _outcome, _focus) -> None:
        if self._applying:
            self._moved = True          # the edit being checked may be stale: not pushed
        elif self.isVisible():
            self.rescan()

    def _show_in_article(self, index) -> None:
        """A double click: that document opens in the window, the occurrence selected."""
        r = self.model.rows[index.row()]
        if self.w.open_document(r.doc_id):
            self.w.view.select_range(r.start, r.end)
            self.w.view.centerCursor()

    def done(self, result: int) -> None:
        self._cancel()
        super().done(result)

    def _ticks_changed(self) -> None:
        self._show_count(final=self._done)


def label_every(w) -> None:
    """The action: the selection's text (snapped unless exact) or the selected span's."""
    s, view, an = w.session, w.view, w.annotator
    if s.doc is None:
        return
    text = s.doc.text
    rng = view.selected_range()
    span = None
    if rng is not None and rng[0] < rng[1]:
        start, end = rng
        if not (an.exact or rng == getattr(an, "_exact_range", None)):
            start, end = an.snapped(start, end)
        start, end = strip(text, *widen(text, start, end)) if start < end else (start, end)
        there = overlapping(s.spans, start, end)
        span = next((x for x in there if (x.start, x.end) == (start, end)), None)
    elif view.selected is not None:
        span = view.selected
        start, end = span.start, span.end
    else:
        w.statusBar().showMessage("Select a span (Tab) or some text first: its every occurrence "
                                  "is then offered for labelling.", 6000)
        return
    if start >= end:
        w.statusBar().showMessage("The selection holds no token to look for (only whitespace).", 6000)
        return
    dialog = getattr(w, "occurrence_dialog", None)
    if dialog is None:
        dialog = w.occurrence_dialog = OccurrenceDialog(w)
    # the span's label; else the label over the selection, the one chosen here last, the first
    over = overlapping(s.spans, start, end)
    label = (span.label if span is not None else over[0].label if over else
             dialog.label.currentData() or next((lab.name for lab in s.labels), ""))
    dialog.start(text[start:end], label, span.entity if span else 0, an.exact)


def install(w) -> None:
    w.label_every_action = w.registry.add(
        "label_every", "Label every occurrence…", lambda: label_every(w), "Ctrl+Shift+A",
        "Label every occurrence of the selected span or text: in this document, every document "
        "not done, or every document, with a preview", edits=True)
    w.menus["edit"].addAction(w.label_every_action)
    w.addAction(w.label_every_action)
