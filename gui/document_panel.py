"""The document list's panel: progress, status filter and search above the table (the model
is ``gui.document_list``); it keeps the open document and the top row across a new list."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QProgressBar, QTableView, QToolButton, QVBoxLayout, QWidget)

from gui.columns import fit_columns
from gui.document_list import DocumentListModel, FirstRead
from gui.plain import one_line
from models.document import DONE, IN_PROGRESS, NEW, SKIPPED, STATUSES
from models.queue import ALL, NOT_DONE, QueueQuery
from models.span_filter import SpanFilter


class DocumentTable(QTableView):
    """The list's view: Home / End go to the first / last document (a table's would change column)."""

    def moveCursor(self, action, modifiers):
        moves = QAbstractItemView.CursorAction
        rows = self.model().rowCount() if self.model() else 0
        if action in (moves.MoveHome, moves.MoveEnd) and rows:
            row = 0 if action == moves.MoveHome else rows - 1
            return self.model().index(row, max(self.currentIndex().column(), 0))
        return super().moveCursor(action, modifiers)


FILTERS = (("All documents", ALL), ("Not done", NOT_DONE), ("New", NEW),
           ("In progress", IN_PROGRESS), ("Done", DONE), ("Skipped", SKIPPED))


class DocumentPanel(QWidget):
    """Progress ("n of N done" and a bar), a status filter and a search above the document list.

    Up/Down/PgUp/PgDn/Home/End in the list move the current row (the window opens its
    document); Down in the search box goes to the list, Enter searches at once; Esc in either
    is ``finished``: back to the article.
    """
    SEARCH_DELAY_MS = 250
    finished = Signal()

    def __init__(self, store, parent=None, open_doc: Callable[[], int | None] = lambda: None,
                 first: FirstRead | None = None):
        super().__init__(parent)
        self.model = m = DocumentListModel(store, self, first)
        self.table = t = DocumentTable()
        t.setModel(m)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setWordWrap(False)
        t.verticalHeader().hide()
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = t.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        t.setSortingEnabled(True)                  # a header click calls model.sort()
        # fixed widths, no per-row measuring: the widest a cell can be, or the header (with
        # its sort indicator: measured once sorting is on)
        months = [datetime(2024, m, 28, 22, 58).strftime("%d %b %H:%M") for m in range(1, 13)]
        fit_columns(t, {0: ["99999"], 2: list(STATUSES), 3: ["99999"], 4: months + ["2024-12-28"]})
        t.setMinimumWidth(150)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(6)
        self.status_filter = QComboBox()
        for text, key in FILTERS:
            self.status_filter.addItem(text, key)
        self.status_filter.setToolTip("Show documents by status")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles and texts… (Ctrl+Shift+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip('Every word must occur (case-insensitive); "quote" a phrase')
        self.shown = QLabel()
        self.shown.setTextFormat(Qt.TextFormat.PlainText)
        self.shown.setStyleSheet("color: #757575;")
        self._debounce = QTimer(self, singleShot=True, interval=self.SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        m.modelAboutToBeReset.connect(self._remember_place)
        m.modelReset.connect(self._restore_place)
        m.loaded.connect(self._show_count)
        m.loaded.connect(self._listed)
        self._to_list = False
        m.searching.connect(self._show_count)
        m.search_failed.connect(lambda msg: self.shown.setText(f"Search failed: {msg}"))
        self._place: tuple[int | None, int | None] = (None, None)
        # The document open in the window, which a new list must keep current: the list's own
        # current row may be another, when the open one was added after the list was read.
        self.open_doc = open_doc
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.status_filter)
        filters.addWidget(self.search, 1)
        # Documents with certain spans (a click in the statistics), until cleared
        self.spans_label = QLabel()
        self.spans_label.setTextFormat(Qt.TextFormat.PlainText)
        self.spans_label.setWordWrap(True)
        self.spans_label.setStyleSheet("background: #e8f0fe; padding: 2px 4px;")
        self.spans_clear = QToolButton(text="Show all", toolTip="Show every document again")
        self.spans_clear.clicked.connect(lambda: self.set_spans(None))
        spans_row = QHBoxLayout()
        spans_row.setContentsMargins(0, 0, 0, 0)
        spans_row.addWidget(self.spans_label, 1)
        spans_row.addWidget(self.spans_clear)
        self.spans_box = QWidget()
        self.spans_box.setLayout(spans_row)
        self.spans_box.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addLayout(filters)
        layout.addWidget(self.spans_box)
        layout.addWidget(t)
        layout.addWidget(self.shown)

    def show_progress(self, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        self.label.setText(f"{counts[DONE]} of {total} done · {counts[SKIPPED]} skipped · "
                           f"{counts[IN_PROGRESS]} in progress · {counts[NEW]} new")
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(counts[DONE] + counts[SKIPPED])
        self.bar.setToolTip(f"{counts[DONE] + counts[SKIPPED]} of {total} done or skipped")

    # -- filters -----------------------------------------------------------------------------------
    def query(self) -> QueueQuery:
        return replace(self.model.latest, status=self.status_filter.currentData(),
                       search=self.search.text().strip())

    def set_spans(self, spans: SpanFilter | None, status: str | None = None) -> None:
        """List only the documents holding such spans (None: all again), with ``status``."""
        if status is not None:
            i = self.status_filter.findData(status)
            if i >= 0:
                self.status_filter.blockSignals(True)
                self.status_filter.setCurrentIndex(i)
                self.status_filter.blockSignals(False)
        self.spans_box.setVisible(spans is not None)
        self.spans_label.setText(one_line(spans.describe(), 200) if spans else "")
        self.model.set_query(replace(self.query(), spans=spans))

    def apply_filters(self) -> None:
        self._debounce.stop()
        self.model.set_query(self.query())

    def _search_now(self) -> None:
        self._to_list = True            # once the list is read (a search runs in the background)
        self.apply_filters()

    def _listed(self, *_args) -> None:
        if self._to_list and self.model._search is None:
            self._to_list = False
            if self.model.rowCount():   # nothing found: stay in the box, to search again
                self.table.setFocus()

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if obj in (self.search, self.table) and e.type() == QEvent.Type.KeyPress \
                and e.key() == Qt.Key.Key_Escape and not e.modifiers():
            self.finished.emit()        # Esc: back to the article (the filter stays as it is)
            return True
        if (obj is self.search and e.type() == QEvent.Type.KeyPress
                and e.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown)):
            self.table.setFocus()
            if not self.table.currentIndex().isValid() and self.model.rowCount():
                self.table.selectRow(0)
            return True
        return super().eventFilter(obj, e)

    def _show_count(self, *_args) -> None:
        m = self.model
        if m._search is not None:
            self.shown.setText("Searching…" if m.pending and m.pending.searching else "Reading the list…")
            return
        n = m.rowCount()
        if m.query.status != ALL or m.query.searching:
            self.shown.setText(f"{n:,} of {m.total:,} document{'s' * (m.total != 1)} shown")
        else:
            self.shown.setText(f"{n:,} document{'s' * (n != 1)}")

    # -- keep the current document and the top row across a new list ------------------------------
    def _remember_place(self) -> None:
        top = self.table.rowAt(0)
        current = self.open_doc()
        if current is None:
            current = self.model.doc_id(self.table.currentIndex().row())
        self._place = (current, self.model.doc_id(top) if top >= 0 else None)

    def _restore_place(self) -> None:
        current, top = self._place
        m, t = self.model, self.table
        row = m.row_of(current) if current is not None else -1
        if row >= 0:
            flags = QItemSelectionModel.SelectionFlag
            t.selectionModel().setCurrentIndex(m.index(row, 0), flags.ClearAndSelect | flags.Rows)
        top_row = m.row_of(top) if top is not None else -1
        if top_row >= 0 and (row < 0 or top_row <= row):
            t.scrollTo(m.index(top_row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        if row >= 0:
            t.scrollTo(m.index(row, 0), QAbstractItemView.ScrollHint.EnsureVisible)
