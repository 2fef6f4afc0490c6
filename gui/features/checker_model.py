"""The Consistency panel's table model: the checker's findings (``models.findings.Finding``,
plain data made by a worker), ranked, one row each."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from gui.plain import one_line, plain_tooltip
from models.findings import KIND_NAMES, Finding

SHORT = {"labels": "Labels", "missed": "Missed", "bounds": "Bounds", "variants": "Names"}

KIND, SPANS, TEXT = range(3)
HEADERS = ("Kind", "Spans", "Finding")
DISMISSED = QColor("#8a8a8a")


class FindingsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.findings: list[Finding] = []

    def set_findings(self, findings: list[Finding]) -> None:
        self.beginResetModel()
        self.findings = list(findings)
        self.endResetModel()

    def row_of(self, kind: str, key: str) -> int:
        for i, f in enumerate(self.findings):
            if f.kind == kind and f.key == key:
                return i
        return -1

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.findings)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        f = self.findings[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == KIND:
                return SHORT.get(f.kind, f.kind)
            if col == SPANS:
                return f.n_spans
            return one_line(f.description + (" (dismissed)" if f.dismissed else ""), 400)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(f"{KIND_NAMES.get(f.kind, f.kind)}: {f.description}")
        if role == Qt.ItemDataRole.ForegroundRole and f.dismissed:
            return DISMISSED
        if role == Qt.ItemDataRole.TextAlignmentRole and col == SPANS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


__all__ = ["FindingsModel", "KIND", "SPANS", "TEXT"]
