"""The entity table: every span of the open document, in text order."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QStyledItemDelegate, QTableView

from gui.columns import fit_columns
from gui.plain import plain_tooltip
from models.display import shown
from models.labels import LabelSet
from models.spans import Span

TEXT, LABEL, SOURCE = range(3)


class SpanTableModel(QAbstractTableModel):
    relabel_requested = Signal(object, str)      # Span, new label

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.spans: list[Span] = []
        self.labels = LabelSet()

    def reset(self, text: str, spans: list[Span], labels: LabelSet) -> None:
        self.beginResetModel()
        self.text, self.spans, self.labels = text, spans, labels
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.spans)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Text", "Label", "Source")[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.spans):
            return None
        s = self.spans[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == TEXT:
                t = self.text[s.start:s.end].replace("\n", " ").replace("\r", " ")
                return t if len(t) <= 60 else t[:59] + "…"
            if col == LABEL:          # the editor gets the name itself, the cell shows it safely
                return shown(s.label) if role == Qt.ItemDataRole.DisplayRole else s.label
            return "yours" if s.is_manual else "model"
        if role == Qt.ItemDataRole.BackgroundRole and col == LABEL:
            lab = self.labels.get(s.label)
            return QColor(lab.color) if lab else None
        if role == Qt.ItemDataRole.ForegroundRole and col == LABEL:
            return QColor("#111111")
        if role == Qt.ItemDataRole.ToolTipRole:        # from files: never markup (gui.plain)
            if col == SOURCE:
                return None if s.is_manual else plain_tooltip(f"model: {s.source}")
            t = self.text[s.start:s.end]
            return plain_tooltip((t if len(t) <= 300 else t[:299] + "…") if col == TEXT else s.label)
        if role == Qt.ItemDataRole.FontRole and col == SOURCE and not s.is_manual:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: QModelIndex):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() == LABEL else f

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != LABEL or value not in self.labels:
            return False
        self.relabel_requested.emit(self.spans[index.row()], value)
        return True        # the table is reset from the store when the edit is committed

    def row_of(self, span: Span | None) -> int:
        if span is None:
            return -1
        from bisect import bisect_left
        i = bisect_left(self.spans, span)
        return i if i < len(self.spans) and self.spans[i] == span else -1


class LabelDelegate(QStyledItemDelegate):
    """A combo box of the label set for the Label column."""

    def createEditor(self, parent, option, index):
        combo = QComboBox(parent)
        combo.addItems(index.model().labels.names())
        return combo

    def setEditorData(self, editor, index):
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole))

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentText())


class SpanTable(QTableView):
    delete_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model_ = SpanTableModel(self)
        self.setModel(self.model_)
        self.setItemDelegateForColumn(LABEL, LabelDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        # Fixed widths: ResizeToContents would measure ~1,000 rows after every edit.
        fit_columns(self, {LABEL: ["WORK_OF_ART"], SOURCE: ["yours", "model"]})
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.setMinimumWidth(150)
        self.setWordWrap(False)

    def current_span(self) -> Span | None:
        rows = self.selectionModel().selectedRows()
        return self.model_.spans[rows[0].row()] if rows else None

    def show_span(self, span: Span | None) -> None:
        row = self.model_.row_of(span)
        if row < 0:
            self.clearSelection()
        else:
            self.selectRow(row)
            self.scrollTo(self.model_.index(row, 0))

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_requested.emit()
            return
        super().keyPressEvent(e)
