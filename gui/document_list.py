"""The document list: every document with its status and number of entities."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QProgressBar, QTableView,
                               QVBoxLayout, QWidget)

from models.document import DONE, IN_PROGRESS, NEW, SKIPPED

STATUS_COLORS = {DONE: "#2e7d32", IN_PROGRESS: "#b26a00", SKIPPED: "#757575"}


class DocumentListModel(QAbstractTableModel):
    COLUMNS = ("#", "Title", "Status", "Entities")

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.rows: list[list] = []
        self._row_of: dict[int, int] = {}

    def reload(self) -> None:
        self.beginResetModel()
        self.rows = [list(r) for r in self.store.document_rows()]
        self._row_of = {r[0]: i for i, r in enumerate(self.rows)}
        self.endResetModel()

    def refresh(self, doc_id: int) -> None:
        """Re-read one document's row (status, entity count)."""
        i = self._row_of.get(doc_id)
        if i is None:
            return self.reload()
        row = self.store.document_row(doc_id)
        if row:
            self.rows[i] = list(row)
            self.dataChanged.emit(self.index(i, 0), self.index(i, 3))

    def doc_id(self, row: int) -> int | None:
        return self.rows[row][0] if 0 <= row < len(self.rows) else None

    def row_of(self, doc_id: int) -> int:
        return self._row_of.get(doc_id, -1)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 4

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        doc_id, title, status, count = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(doc_id), title or "(untitled)", status, str(count))[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 2 and status in STATUS_COLORS:
            return QColor(STATUS_COLORS[status])
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class DocumentPanel(QWidget):
    """Progress ("n of N done" and a bar) above the list of documents."""

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.model = DocumentListModel(store, self)
        self.table = t = QTableView()
        t.setModel(self.model)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.verticalHeader().hide()
        t.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        char = t.fontMetrics().averageCharWidth()
        for col, chars in ((0, 5), (2, 10), (3, 7)):      # fixed widths: no per-row measuring
            t.setColumnWidth(col, char * chars + 12)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
        t.setMinimumWidth(300)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for w in (self.label, self.bar, t):
            layout.addWidget(w)

    def show_progress(self, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        self.label.setText(f"{counts[DONE]} of {total} done · {counts[SKIPPED]} skipped · "
                           f"{counts[IN_PROGRESS]} in progress · {counts[NEW]} new")
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(counts[DONE] + counts[SKIPPED])
