"""The entity table: every span of the open document, in text order.

Its model is the document's ``SpanModel`` (gui/span_model.py), shared with the article view:
an edit removes and inserts rows, it never resets the table.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QStyledItemDelegate, QTableView

from gui.columns import fit_columns
from gui.span_model import LABEL, SOURCE, TEXT, SpanModel
from models.spans import Span

__all__ = ["LABEL", "SOURCE", "TEXT", "LabelDelegate", "SpanTable", "SpanTableModel"]


SpanTableModel = SpanModel     # the old name of the entity table's model


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

    def __init__(self, model: SpanModel | None = None, parent=None):
        super().__init__(parent)
        self.model_ = model if model is not None else SpanModel(self)
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
