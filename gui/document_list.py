"""The document list: every document with its status and number of entities."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from models.document import DONE, IN_PROGRESS, SKIPPED

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
